"""The handbook's settings tables, generated from ``workers/settings.py`` so that they are never typed twice.

A page holds a table between ``<!-- settings-table: PREFIX ... -->`` and ``<!-- settings-table: end -->``: the
settings whose field names start with one of the prefixes (all of them with ``all``).
"""

from __future__ import annotations

import html
import re
from typing import Literal, get_args, get_origin

from pydantic import SecretStr
from pydantic.fields import FieldInfo

from workers.settings import Settings

TABLE = re.compile(r"(<!-- settings-table: (?P<prefixes>[a-z_ ]+?) -->\n).*?(<!-- settings-table: end -->)", re.S)
HEADER = "| variable | default | meaning |\n| --- | --- | --- |"


def documented_default(default: object) -> str:
    """A default as the tables show it: in backticks, or *empty* for an empty string or None."""
    value = default.get_secret_value() if isinstance(default, SecretStr) else default
    return "*empty*" if value in ("", None) else f"`{value}`"


def meaning(field: FieldInfo) -> str:
    """The field's description, with the values a ``Literal`` setting accepts."""
    text = html.escape(field.description or "", quote=False).replace("|", "\\|")
    if get_origin(field.annotation) is Literal:
        text += ": " + ", ".join(f"`{choice}`" for choice in get_args(field.annotation))
    return text


def settings_table(prefixes: tuple[str, ...] = ("all",)) -> str:
    """One row per setting whose name starts with one of the prefixes, in the order of ``Settings``."""
    rows = [
        f"| `ENRICH_{name.upper()}` | {documented_default(field.default)} | {meaning(field)} |"
        for name, field in Settings.model_fields.items()
        if "all" in prefixes or name.startswith(prefixes)
    ]
    if not rows:
        raise ValueError(f"no setting starts with {' or '.join(prefixes)}")
    return "\n".join([HEADER, *rows])


def with_settings_tables(page: str) -> str:
    """The page with each of its settings tables made again from the settings."""
    return TABLE.sub(lambda m: f"{m[1]}{settings_table(tuple(m['prefixes'].split()))}\n{m[3]}", page)


def has_settings_table(page: str) -> bool:
    """Whether the page holds a settings table to keep up to date."""
    return TABLE.search(page) is not None
