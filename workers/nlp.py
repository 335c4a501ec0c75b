"""The only module that imports spaCy: loads the NER pipelines when a worker needs them, never at import.

English is loaded when the worker starts; another language's pipeline the first time an article in it comes,
on the stage's thread (``Pipelines``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

from workers.entities import patterns_of, variants_of
from workers.records import NlpReason
from workers.settings import Settings, parse_language_models

log = logging.getLogger(__name__)

RULER = "entity_ruler"


class ModelUnavailable(RuntimeError):
    """No spaCy pipeline of those configured can be found or loaded: a setting to fix, not a bug."""


def require_installed(settings: Settings) -> None:
    """Raise ``ModelUnavailable``, naming the setting, when a language's pipelines are none of them installed, as
    ``spacy.load`` finds a name (a package, else a path): a worker checks before it starts, as its entities stage
    loads a model only later (another language's with its first article). A name not installed is a setting to
    fix; an installed pipeline that fails to load is left to run time (``model_unavailable``, docs/entities.md)."""
    from spacy.util import is_package

    for language, names in settings.language_models.items():  # without repeats or empty names
        if not any(is_package(name) or Path(name).exists() for name in names):
            raise ModelUnavailable(
                f"{_model_setting(settings, language)}: no spaCy pipeline for {language} is installed "
                f"(tried {' and '.join(map(repr, names))}; neither a package nor a path)"
            )


def _model_setting(settings: Settings, language: str) -> str:
    """The variable naming a language's pipelines: English's is ENRICH_SPACY_MODEL unless ENRICH_NLP_MODELS names it."""
    if language == "en" and language not in parse_language_models(settings.nlp_models):
        return "ENRICH_SPACY_MODEL (or ENRICH_SPACY_FALLBACK_MODEL)"
    return "ENRICH_NLP_MODELS"


def load_ner(model: str, fallback: str = "", patterns: Path | None = None, gpu: int = -1) -> Any:
    """Load ``model`` (package name or path) with every component but ``ner`` disabled, else ``fallback`` if any.

    The small English model's ``ner`` carries its own tok2vec, so disabling the rest changes no entity and
    makes tagging about twice as fast; a ``ner`` that listens to a shared tok2vec or transformer (as in
    ``en_core_web_trf``) keeps that one too. With ``patterns``, an EntityRuler runs before ``ner``, which
    keeps the ruler's entities and tags around them. With ``gpu`` >= 0, spaCy runs on that GPU (needs cupy);
    call this on the thread that will tag, as the GPU context is per thread.
    """
    import spacy

    if gpu >= 0:
        spacy.require_gpu(gpu)
    names = [name for name in dict.fromkeys((model, fallback)) if name]
    for name in names:
        try:
            nlp = spacy.load(name, enable=["ner"])
            if upstream := listened_to(nlp):
                nlp = spacy.load(name, enable=["ner", *upstream])
        except OSError as exc:
            log.warning("cannot load spaCy pipeline %s: %s", name, exc)
            continue
        if patterns is not None:
            nlp.add_pipe(RULER, before="ner").from_disk(patterns)
        log.info("loaded spaCy pipeline %s with %s", model_label(nlp), nlp.pipe_names)  # named as records name it
        return nlp
    raise ModelUnavailable(f"no spaCy pipeline could be loaded (tried {' and '.join(map(repr, names))})")


def listened_to(nlp: Any) -> list[str]:
    """The components whose output ``ner`` reads (a tok2vec or transformer listener), if any."""
    tok2vec = nlp.config["components"]["ner"]["model"].get("tok2vec", {})
    if "Listener" not in tok2vec.get("@architectures", ""):
        return []
    upstream = tok2vec.get("upstream", "*")
    if upstream != "*":
        return [upstream]
    return [name for name in nlp.component_names if nlp.get_pipe_meta(name).factory in ("tok2vec", "transformer")]


def load_pipeline(settings: Settings, language: str = "en") -> Any:
    """The language's pipeline the settings ask for: its model (English: or the fallback), the language's curated
    EntityRuler patterns unless switched off, the device. Raises ``ModelUnavailable`` when no model can be loaded."""
    model, *fallback = settings.language_models[language]
    patterns = patterns_of(language) if settings.entity_ruler else None
    try:
        nlp = load_ner(model, fallback[0] if fallback else "", patterns, settings.spacy_gpu)
    except ModelUnavailable as error:
        raise ModelUnavailable(f"{_model_setting(settings, language)}: {error}") from error
    nlp.max_length = settings.max_text_chars  # the clean stage dead-letters a longer text (too_long)
    return nlp


def load_pipelines(settings: Settings) -> Pipelines:
    """The pipelines of every configured language, English loaded now (a worker without it does not start)."""
    return Pipelines(partial(load_pipeline, settings), settings.language_models, {"en": load_pipeline(settings)})


@dataclass(frozen=True, slots=True)
class Tagger:
    """A language's loaded pipeline, its name as enriched records give it, and the language's name variants."""

    nlp: Any
    model: str
    variants: Mapping[str, str]


class Pipelines:
    """The spaCy pipelines by language: each loaded the first time it is asked for, on the asking thread.

    A language without a configured model, or whose model cannot be loaded, gets no pipeline and the reason;
    a failed load is not tried again (the worker's log says why it failed).
    """

    def __init__(
        self, load: Callable[[str], Any], languages: Iterable[str], loaded: Mapping[str, Any] | None = None
    ) -> None:
        self._load = load
        self.languages = frozenset(languages)
        self._taggers: dict[str, Tagger | None] = {lang: _tagger(lang, nlp) for lang, nlp in (loaded or {}).items()}
        self.load_seconds: dict[str, float] = {}

    def get(self, language: str | None) -> Tagger | NlpReason:
        """The tagger of ``language``, or why there is none."""
        if language is None:
            return "language_unknown"
        if language not in self.languages:
            return "no_model_for_language"
        if language not in self._taggers:
            self._taggers[language] = self._first_load(language)
        return self._taggers[language] or "model_unavailable"

    def _first_load(self, language: str) -> Tagger | None:
        started = time.perf_counter()
        try:
            nlp = self._load(language)
        except Exception:  # a missing package, a path, a model of another spaCy version: logged, never retried
            log.exception("no spaCy pipeline for %s: its articles are enriched without entities", language)
            return None
        self.load_seconds[language] = time.perf_counter() - started
        log.info("loaded the %s pipeline in %.1f s", language, self.load_seconds[language])
        return _tagger(language, nlp)


def _tagger(language: str, nlp: Any) -> Tagger:
    return Tagger(nlp, model_label(nlp), variants_of(language))


def model_label(nlp: Any) -> str:
    """``lang_name-version`` of a loaded pipeline, ``+entity_ruler`` when one runs, as recorded in enriched records."""
    meta = nlp.meta
    ruler = f"+{RULER}" if RULER in getattr(nlp, "pipe_names", ()) else ""
    return f"{meta.get('lang', 'xx')}_{meta.get('name', 'unknown')}-{meta.get('version', '0')}{ruler}"
