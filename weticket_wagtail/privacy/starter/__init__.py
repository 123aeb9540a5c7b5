"""A starter privacy statement for a ticket business, in Dutch and English.

A new privacy statement page cannot be published empty, and writing one from nothing is an
afternoon's work. So the editor of a new page finds it filled in with a complete statement in
the page's language: the fourteen sections a ticket business needs (who we are, contact, the
data, purposes, legal grounds, automated decisions, retention, processors, security, cookies,
rights, complaints, changes, disclaimer), with the live blocks that show the processor
register, the retention schedule, the categories of personal data and the contact details.

Everything the organisation must fill in is a placeholder in square brackets, such as
``[Organisation name]`` or ``[KvK-nummer]``; :func:`placeholders_left` finds those, and a page
still holding one cannot be published.

The texts live in ``nl.toml`` and ``en.toml`` next to this module. Written for this package;
review them with your own adviser before you rely on them.
"""

from __future__ import annotations

import functools
import re
import tomllib
from pathlib import Path
from typing import Any

from wagtail.rich_text import RichText

LANGUAGES = ("nl", "en")
FALLBACK_LANGUAGE = "en"
_DIRECTORY = Path(__file__).resolve().parent
#: A placeholder: text in square brackets, without markup or quotes in it.
PLACEHOLDER = re.compile(r"\[[^\[\]<>\"]{2,200}\]")


def starter_language(*candidates: str | None) -> str:
    """The first of ``candidates`` (language codes such as ``nl-be``) we have a text in."""
    for code in candidates:
        short = (code or "").lower()[:2]
        if short in LANGUAGES:
            return short
    return FALLBACK_LANGUAGE


@functools.cache
def _load(language: str) -> dict[str, Any]:
    with (_DIRECTORY / f"{language}.toml").open("rb") as file:
        return tomllib.load(file)


def _content(item: dict[str, Any]) -> tuple[str, Any]:
    kind = item["type"]
    if kind == "text":
        return ("text", RichText(item["value"]))
    if kind == "data_categories":
        return ("data_categories", {"audience": item["audience"], "also": item.get("also", [])})
    if kind == "contact":
        return ("contact", {"email": item.get("email", "")})
    return (kind, None)  # processors, retention: static blocks


def starter_statement(language: str) -> dict[str, Any]:
    """Title, slug, introduction and body (StreamField data) of the starter in ``language``
    (``nl`` or ``en``; anything else gets English). A new dict each time: change it freely."""
    data = _load(starter_language(language))
    body = [
        (
            "section",
            {
                "heading": section["heading"],
                "anchor": section["anchor"],
                "content": [_content(item) for item in section["content"]],
            },
        )
        for section in data["section"]
    ]
    return {"title": data["title"], "slug": data["slug"], "intro": data["intro"], "body": body}


def statement_texts(intro: str, body: Any) -> list[str]:
    """The texts an editor writes in a statement: the introduction, and each section's heading
    and text blocks (``body`` is the page's StreamValue)."""
    texts = [intro or ""]
    for block in body or []:
        if block.block_type != "section":
            continue
        texts.append(block.value.get("heading") or "")
        for child in block.value.get("content") or []:
            if child.block_type == "text":
                texts.append(getattr(child.value, "source", str(child.value)))
    return texts


def placeholders_left(texts: list[str]) -> list[str]:
    """The placeholders (``[...]``) still in ``texts``, each once, in order."""
    found: dict[str, None] = {}
    for text in texts:
        for match in PLACEHOLDER.finditer(text):
            found.setdefault(" ".join(match.group(0).split()), None)
    return list(found)
