"""Nasty raw messages, the kind a scraper or a broken producer eventually sends: each must end up as an
enriched record or a dead letter with a clear reason, and none may stop a worker."""

# ruff: noqa: RUF001 - Cyrillic and Arabic text here is data, not a look-alike of Latin letters
from __future__ import annotations

import json

from tests.conftest import SEED_PAGE_ID, seed_record

ARTICLE = seed_record(SEED_PAGE_ID)["text"].split("Try Our AI Features")[0]
PARAGRAPHS = [p for p in ARTICLE.splitlines() if len(p) > 80]


_CHINESE = [
    "俄罗斯外交部官员周一表示，莫斯科将通过专门机构向阿富汗当局提供协助。",
    "塔利班政府自二零二一年八月掌权以来，一直在努力清除该组织在阿富汗境内的存在。",
    "分析人士认为，俄罗斯与喀布尔之间的关系在近年来显著升温。",
    "双方在贸易、能源和基础设施领域的合作不断扩大。",
]
_ARABIC = [
    "قالت روسيا إنها ستساعد طالبان في محاربة تنظيم الدولة الإسلامية في أفغانستان.",
    "وأضاف المسؤول أن موسكو تقدر الجهود التي تبذلها الحكومة في كابول.",
    "ولا تعترف أي دولة حتى الآن بحكومة طالبان التي استولت على السلطة في عام ألفين وواحد وعشرين.",
    "وتسعى روسيا إلى تعزيز العلاقات التجارية والاستثمارية مع أفغانستان.",
]
_RUSSIAN = [
    "Россия заявила, что поможет талибам бороться с запрещённой группировкой в Афганистане.",
    "По словам дипломата, Москва ценит усилия, которые прилагают власти в Кабуле.",
    "Ни одна страна пока официально не признала правительство, пришедшее к власти в августе.",
    "Стороны обсуждают сотрудничество в торговле, энергетике и строительстве инфраструктуры.",
]


def _paragraphs(sentences: list[str], joiner: str) -> str:
    """Six distinct paragraphs, each the sentences in another order (repeated lines read as menus)."""
    orders = [sentences[i:] + sentences[:i] for i in range(len(sentences))] + [sentences[::-1], sentences[1::2]]
    return "\n".join(joiner.join(order) for order in orders[:6])


def raw(name: str, **fields: object) -> bytes:
    return json.dumps({"id": f"hostile-{name}", "source": "Hostile", **fields}, ensure_ascii=False).encode()


def html_page(body: str, head: str = "") -> str:
    return f"<html><head><title>Hostile page</title>{head}</head><body>{body}</body></html>"


def network_bait(base_url: str) -> str:
    """HTML whose parser or renderer could be lured into fetching ``base_url``: entities, scripts, images."""
    doctype = f'<!DOCTYPE html [<!ENTITY xxe SYSTEM "{base_url}/entity">]>'
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    lures = (
        f'<img src="{base_url}/img.png"><script src="{base_url}/x.js"></script>'
        f'<iframe src="{base_url}/frame"></iframe><link rel="stylesheet" href="{base_url}/s.css">'
        f'<object data="{base_url}/o"></object><p>&xxe;</p>'
    )
    return doctype + html_page(
        body + lures, f'<base href="{base_url}/"><meta http-equiv="refresh" content="0;{base_url}">'
    )


def nested_page(max_message_bytes: int) -> str:
    """The article's paragraphs in as many nested ``<div>``s as a raw message of ``max_message_bytes`` holds (about
    190,000 in 2 MiB): resiliparse's main content would take tens of minutes over them (docs: Cleaning)."""
    article = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    levels = (max_message_bytes - len(raw("deeply-nested-html", html=article)) - 1024) // len("<div></div>")
    return "<div>" * levels + article + "</div>" * levels


def flat_page(max_message_bytes: int) -> str:
    """The article's paragraphs after as many unclosed ``<p>``s as a raw message of ``max_message_bytes`` holds (about
    500,000 in 2 MiB): every step of the HTML path costs time by the element (docs: Cleaning)."""
    article = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    flood = (max_message_bytes - len(raw("flat-flood-html", html=article)) - 1024) // len("<p>x")
    return "<p>x" * flood + article


def quote_flood_page(max_message_bytes: int) -> str:
    """The article after an inline script of one line of escaped quotes (a broken or hostile page's), as many as a raw
    message of ``max_message_bytes`` holds (about 260,000 pairs in 2 MiB, 7 bytes of JSON a pair): the date search's
    reading of scripts (``metadata.without_script_comments``) took time quadratic in the line (hours)."""
    article = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    flood = (max_message_bytes - len(raw("script-quote-flood", html=html_page(article))) - 1024) // 8
    return html_page(article, "<script>// a comment\nvar a = " + "\\\"\\'" * flood + "</script>")


def _filled(name: str, field: str, before: str, unit: str, after: str, max_message_bytes: int) -> bytes:
    """The raw message ``name`` whose ``field`` is ``before``, then ``unit`` as many times as a raw message of
    ``max_message_bytes`` holds (1 KiB to spare), then ``after``."""
    room = max_message_bytes - len(raw(name, **{field: before + after})) - 1024
    return raw(
        name, **{field: before + unit * (room // len(json.dumps(unit, ensure_ascii=False)[1:-1].encode())) + after}
    )


def newsletter_flood(max_message_bytes: int) -> bytes:
    """The article, then one line of "newsletter " as long as a raw message holds (about 190,000 words): the
    furniture test read the rest of the line from each of them (``chrome.WordThen``; hours)."""
    return _filled("newsletter-flood", "text", ARTICLE + "\n", "newsletter ", "", max_message_bytes)


def lower_case_lines(max_message_bytes: int) -> bytes:
    """The article, then as many lines of "a" as a raw message holds (about 700,000): each joined the line before it
    by a copy of the whole joined line (``pagetext._lower_case_joined``; 16 s of CPU)."""
    return _filled("lower-case-lines", "text", ARTICLE + "\n", "a\n", "", max_message_bytes)


def attribute_flood(max_message_bytes: int) -> bytes:
    """The article after a tag of as many distinct attributes as a raw message holds (about 230,000): both parsers
    test each attribute against the tag's others (hours)."""
    article = "".join(f"<p>{p}</p>" for p in PARAGRAPHS)
    room = max_message_bytes - len(raw("attribute-flood", html=html_page(article + "<p>"))) - 1024
    names = []
    while room > 0:
        names.append(f" a{len(names)}")
        room -= len(names[-1])
    return raw("attribute-flood", html=html_page(f"<p{''.join(names[:-1])}>" + article))


def svg_attributes(attributes: int) -> bytes:
    """A page without an article but an SVG style holding one tag of ``attributes`` attributes: lexbor reads an SVG
    style as markup, which the attribute count cannot follow, and resiliparse's main content takes time quadratic in
    them (40,000: 3.6 s of CPU; 230,000, as many as a raw message holds: 159 s). Only the CPU limit bounds it
    (docs: Cleaning)."""
    names = " ".join(f"a{n}" for n in range(attributes))
    return raw("svg-attributes", html=f"<html><body><svg><style><p {names}></style></svg></body></html>")


def deep_title(depth: int) -> bytes:
    """The article with a title of arrays nested ``depth`` deep (orjson reads 1,024): past about 250 the validator
    cannot show where the record breaks its schema, and raised ValueError, an internal_error dead letter."""
    return raw("deep-title", text=ARTICLE, title="?").replace(b'"?"', b"[" * depth + b"]" * depth)


def hostile_messages(max_message_bytes: int) -> dict[str, tuple[bytes, str | None]]:
    """name -> (message, the dead-letter error it must produce, or None when it must come out enriched)."""
    return {
        "invalid-json": (b'{"source": "X", "text": "unterminated', "invalid_json"),
        "json-array": (b'[{"source": "X", "text": "in a list"}]', "schema_violation"),
        "json-scalar": (b"42", "schema_violation"),
        "wrong-types": (raw("wrong-types", text=["not", "a", "string"], published_at=17), "schema_violation"),
        "missing-page": (raw("missing-page", url="https://x.example/a"), "schema_violation"),
        "both-pages": (raw("both-pages", text=ARTICLE, html=html_page(ARTICLE)), "schema_violation"),
        "bad-date": (raw("bad-date", text=ARTICLE, published_at="last Tuesday"), "schema_violation"),
        "deep-title": (deep_title(1000), "schema_violation"),
        "empty-text": (raw("empty-text", text=""), "empty_body"),
        "binary": (bytes(range(256)) * 8, "invalid_encoding"),
        "invalid-utf8": (raw("invalid-utf8", text=ARTICLE)[:-40] + b"\xc3\x28\xa0\xa1" + b'"}', "invalid_encoding"),
        "oversized": (raw("oversized", text=ARTICLE * (2 * max_message_bytes // len(ARTICLE) + 1)), "oversized"),
        "nul-bytes": (raw("nul-bytes", text=ARTICLE.replace(" ", " \u0000", 50)), None),
        "zero-width-flood": (raw("zero-width-flood", text=ARTICLE.replace(" ", "\u200b\u200d\ufeff ")), None),
        "tiny-paragraphs": (raw("tiny-paragraphs", text="\n".join(["ok."] * 100_000) + "\n" + ARTICLE), None),
        "deeply-nested-html": (raw("deeply-nested-html", html=nested_page(max_message_bytes)), "too_deep"),
        "flat-flood-html": (raw("flat-flood-html", html=flat_page(max_message_bytes)), "too_many_elements"),
        "script-quote-flood": (raw("script-quote-flood", html=quote_flood_page(max_message_bytes)), None),
        "newsletter-flood": (newsletter_flood(max_message_bytes), None),  # the article: the run is no text of it
        "lower-case-lines": (lower_case_lines(max_message_bytes), None),
        "attribute-flood": (attribute_flood(max_message_bytes), "too_many_attributes"),
        "malformed-html": (raw("malformed-html", html="<p><b><i>" + "</p>".join(PARAGRAPHS) + "<div <<>>"), None),
        "scripts-and-entities": (raw("scripts-and-entities", html=network_bait("http://127.0.0.1:9")), None),
        "chinese": (raw("chinese", text=_paragraphs(_CHINESE, "")), None),
        "arabic": (raw("arabic", text=_paragraphs(_ARABIC, " ")), None),
        "russian": (raw("russian", text=_paragraphs(_RUSSIAN, " ")), None),
    }
