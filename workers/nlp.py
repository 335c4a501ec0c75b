"""The only module that imports spaCy: loads the NER pipeline when a worker starts, never at import."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from workers.entities import PATTERNS
from workers.settings import Settings

log = logging.getLogger(__name__)

RULER = "entity_ruler"


def load_ner(model: str, fallback: str, patterns: Path | None = None, gpu: int = -1) -> Any:
    """Load ``model`` (package name or path) with every component but ``ner`` disabled, else ``fallback``.

    The small English model's ``ner`` carries its own tok2vec, so disabling the rest changes no entity and
    makes tagging about twice as fast; a ``ner`` that listens to a shared tok2vec or transformer (as in
    ``en_core_web_trf``) keeps that one too. With ``patterns``, an EntityRuler runs before ``ner``, which
    keeps the ruler's entities and tags around them. With ``gpu`` >= 0, spaCy runs on that GPU (needs cupy);
    call this on the thread that will tag, as the GPU context is per thread.
    """
    import spacy

    if gpu >= 0:
        spacy.require_gpu(gpu)
    for name in dict.fromkeys((model, fallback)):
        try:
            nlp = spacy.load(name, enable=["ner"])
            if upstream := listened_to(nlp):
                nlp = spacy.load(name, enable=["ner", *upstream])
        except OSError as exc:
            log.warning("cannot load spaCy pipeline %s: %s", name, exc)
            continue
        if patterns is not None:
            nlp.add_pipe(RULER, before="ner").from_disk(patterns)
        log.info("loaded spaCy pipeline %s %s with %s", nlp.meta.get("name"), nlp.meta.get("version"), nlp.pipe_names)
        return nlp
    raise RuntimeError(f"no spaCy pipeline could be loaded (tried {model!r} and {fallback!r})")


def listened_to(nlp: Any) -> list[str]:
    """The components whose output ``ner`` reads (a tok2vec or transformer listener), if any."""
    tok2vec = nlp.config["components"]["ner"]["model"].get("tok2vec", {})
    if "Listener" not in tok2vec.get("@architectures", ""):
        return []
    upstream = tok2vec.get("upstream", "*")
    if upstream != "*":
        return [upstream]
    return [name for name in nlp.component_names if nlp.get_pipe_meta(name).factory in ("tok2vec", "transformer")]


def load_pipeline(settings: Settings) -> Any:
    """The pipeline the settings ask for: model, fallback, the curated EntityRuler unless switched off, device."""
    patterns = PATTERNS if settings.entity_ruler else None
    return load_ner(settings.spacy_model, settings.spacy_fallback_model, patterns, settings.spacy_gpu)


def model_label(nlp: Any) -> str:
    """``lang_name-version`` of a loaded pipeline, ``+entity_ruler`` when one runs, as recorded in enriched records."""
    meta = nlp.meta
    ruler = f"+{RULER}" if RULER in getattr(nlp, "pipe_names", ()) else ""
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}{ruler}"
