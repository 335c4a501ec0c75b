"""The only module that imports spaCy: loads the NER pipeline when a worker starts, never at import."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def load_ner(model: str, fallback: str) -> Any:
    """Load ``model`` (package name or path) with every component but ``ner`` disabled, else ``fallback``.

    The small English model's ``ner`` carries its own tok2vec, so disabling the rest changes no entity and
    makes tagging about twice as fast.
    """
    import spacy

    for name in dict.fromkeys((model, fallback)):
        try:
            nlp = spacy.load(name, enable=["ner"])
        except OSError as exc:
            log.warning("cannot load spaCy pipeline %s: %s", name, exc)
            continue
        log.info("loaded spaCy pipeline %s %s with %s", nlp.meta.get("name"), nlp.meta.get("version"), nlp.pipe_names)
        return nlp
    raise RuntimeError(f"no spaCy pipeline could be loaded (tried {model!r} and {fallback!r})")


def model_label(nlp: Any) -> str:
    """``lang_name-version`` of a loaded pipeline, as recorded in enriched records."""
    meta = nlp.meta
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}"
