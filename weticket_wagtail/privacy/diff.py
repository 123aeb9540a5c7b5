"""A readable comparison of two versions of the privacy statement.

Versions are compared line by line on their plain text (one line per heading, paragraph, list
item or table row; see :func:`~.services.versions.statement_text`). A line that was reworded
shows the words taken out and put in; long stretches without changes are folded to a count.
"""

from __future__ import annotations

from dataclasses import dataclass
from difflib import SequenceMatcher
from typing import Protocol

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

#: Unchanged lines shown around each change; longer unchanged stretches are folded.
CONTEXT = 2
#: Lines at least this similar are shown as one reworded line rather than removed and added.
REWORDED = 0.5


@dataclass(frozen=True)
class DiffLine:
    """One line of a diff. ``kind``: ``same``, ``added``, ``removed``, ``changed`` or ``folded``.

    ``html`` is the line's text, escaped, with ``<del>``/``<ins>`` around changed words; for
    ``folded`` it is empty and ``folded`` counts the unchanged lines left out.
    """

    kind: str
    html: SafeString
    heading_level: int = 0
    folded: int = 0


class VersionText(Protocol):
    """What a diff reads of a version (a :class:`~.models.PolicyVersion` has both)."""

    title: str
    rendered_text: str


def diff_versions(older: VersionText, newer: VersionText, context: int = CONTEXT) -> list:
    """What changed from ``older`` to ``newer``, the title included."""
    old = [f"# {older.title}", *older.rendered_text.splitlines()]
    new = [f"# {newer.title}", *newer.rendered_text.splitlines()]
    return diff_lines(old, new, context)


def diff_lines(old: list[str], new: list[str], context: int = CONTEXT) -> list[DiffLine]:
    """The line diff of ``old`` and ``new`` as :class:`DiffLine` objects, in reading order."""
    result: list[DiffLine] = []
    matcher = SequenceMatcher(None, old, new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            result.extend(_unchanged(old[i1:i2], context, first=i1 == 0, last=i2 == len(old)))
        elif tag == "delete":
            result.extend(_line("removed", line) for line in old[i1:i2])
        elif tag == "insert":
            result.extend(_line("added", line) for line in new[j1:j2])
        else:
            result.extend(_replaced(old[i1:i2], new[j1:j2]))
    return result


def _unchanged(lines: list[str], context: int, *, first: bool, last: bool) -> list[DiffLine]:
    keep_before = 0 if first else context
    keep_after = 0 if last else context
    if len(lines) <= keep_before + keep_after + 1:
        return [_line("same", line) for line in lines]
    head = [_line("same", line) for line in lines[:keep_before]]
    tail = [_line("same", line) for line in lines[len(lines) - keep_after :]]
    folded = len(lines) - keep_before - keep_after
    return [*head, DiffLine("folded", mark_safe(""), folded=folded), *tail]  # noqa: S308


def _replaced(old: list[str], new: list[str]) -> list[DiffLine]:
    """Pair reworded lines; what does not pair up is removed or added."""
    result: list[DiffLine] = []
    j = 0
    for line in old:
        if j < len(new) and SequenceMatcher(None, line, new[j]).ratio() >= REWORDED:
            result.append(_reworded(line, new[j]))
            j += 1
        else:
            result.append(_line("removed", line))
    result.extend(_line("added", line) for line in new[j:])
    return result


def _split_heading(line: str) -> tuple[int, str]:
    level = len(line) - len(line.lstrip("#"))
    if level and line[level : level + 1] == " ":
        return level, line[level + 1 :]
    return 0, line


def _line(kind: str, line: str) -> DiffLine:
    level, text = _split_heading(line)
    return DiffLine(kind, escape(text), heading_level=level)


def _reworded(old: str, new: str) -> DiffLine:
    old_level, old_text = _split_heading(old)
    level, new_text = _split_heading(new)
    old_words, new_words = old_text.split(" "), new_text.split(" ")
    parts: list[str] = []
    matcher = SequenceMatcher(None, old_words, new_words, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            parts.append(escape(" ".join(old_words[i1:i2])))
            continue
        if i2 > i1:
            parts.append(f"<del>{escape(' '.join(old_words[i1:i2]))}</del>")
        if j2 > j1:
            parts.append(f"<ins>{escape(' '.join(new_words[j1:j2]))}</ins>")
    # Every piece was escaped above; only our own <del>/<ins> tags are markup.
    return DiffLine("changed", mark_safe(" ".join(parts)), heading_level=level or old_level)  # noqa: S308
