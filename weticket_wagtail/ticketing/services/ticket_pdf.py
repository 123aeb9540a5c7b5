"""Printable PDF tickets: one A4 PDF per order, one ticket per page.

Pure reportlab + segno, no Django: the caller passes already formatted,
already translated strings (dates, prices, labels), so this module can be
used from a view, an e-mail task or a management command alike.

Each page shows the organisation name (in the organisation's primary
colour), event title, date, venue, ticket type, holder, price and order
reference, plus the QR code -- embedded as a PNG image of the signed ticket
token (see :mod:`.ticket_signing`) -- with the ticket code printed beneath it
so door staff can type it in when a QR code will not scan.

Fonts: if DejaVu Sans is installed (it is on most Linux distributions and
in the official Python Docker images' Debian base when ``fonts-dejavu-core``
is present) it is embedded, covering Latin, Greek and Cyrillic text.
Otherwise the built-in Helvetica is used, which covers Windows-1252
(Latin-1 plus ``€``, ``Œ``, ``Š`` ...); any other character is transliterated
(``Ł`` -> ``L``) or replaced by ``?`` rather than failing.
"""

from __future__ import annotations

import functools
import io
import os
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import segno
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader, simpleSplit
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFError, TTFont
from reportlab.pdfgen.canvas import Canvas

__all__ = [
    "DEFAULT_LABELS",
    "DEFAULT_PRIMARY_COLOUR",
    "TicketPrint",
    "render_order_pdf",
    "render_qr_png",
]

DEFAULT_PRIMARY_COLOUR = "#1f2937"

#: English label texts; pass ``labels={"date": _("Date"), ...}`` to
#: :func:`render_order_pdf` to translate any of them.
DEFAULT_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "ticket": "Ticket",
        "date": "Date",
        "venue": "Venue",
        "type": "Type",
        "name": "Name",
        "order": "Order",
        "price": "Price",
        "instructions": "Show this code at the entrance",
    }
)

#: Directories searched (in order) for ``DejaVuSans.ttf`` and
#: ``DejaVuSans-Bold.ttf``.  Empty the list to force the built-in fonts.
FONT_SEARCH_DIRS: list[str] = [
    "/usr/share/fonts/truetype/dejavu",  # Debian, Ubuntu
    "/usr/share/fonts/dejavu",  # Fedora, Alpine
    "/usr/share/fonts/TTF",  # Arch
    "/usr/share/fonts/dejavu-sans-fonts",  # newer Fedora
    "/usr/local/share/fonts",
    "/opt/homebrew/share/fonts",
]

_HEX_COLOUR_RE = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
_QR_WIDTH = 55 * mm
_MARGIN = 18 * mm
_MUTED = colors.HexColor("#6b7280")
_TEXT = colors.HexColor("#111827")
_LINE = colors.HexColor("#d1d5db")


@dataclass(frozen=True)
class TicketPrint:
    """Everything printed for one ticket; all strings are display-ready."""

    code: str
    token: str  # what the QR code encodes (a signed WT1 token)
    ticket_type: str
    event_title: str
    event_start: str
    venue: str
    holder_name: str
    order_reference: str
    price: str
    #: Printed large in red when the ticket admits nobody (e.g. "Refunded: not valid").
    void_notice: str = ""


def render_qr_png(data: str, scale: int = 6) -> bytes:
    """Return a black-on-white PNG of a QR code for ``data``.

    Error correction level M (segno may raise it further when that does not
    enlarge the symbol) and the standard 4-module quiet zone.
    """
    qr = segno.make(data, error="m", micro=False)
    buffer = io.BytesIO()
    qr.save(buffer, kind="png", scale=scale, border=4)
    return buffer.getvalue()


# --------------------------------------------------------------------------
# Fonts and text


@dataclass(frozen=True)
class _Fonts:
    regular: str
    bold: str
    unicode: bool  # False: built-in Type 1 fonts, text limited to cp1252


_BUILTIN_FONTS = _Fonts("Helvetica", "Helvetica-Bold", unicode=False)


@functools.lru_cache(maxsize=8)
def _resolve_fonts(search_dirs: tuple[str, ...]) -> _Fonts:
    for directory in search_dirs:
        regular = os.path.join(directory, "DejaVuSans.ttf")
        bold = os.path.join(directory, "DejaVuSans-Bold.ttf")
        if not (os.path.isfile(regular) and os.path.isfile(bold)):
            continue
        try:
            pdfmetrics.registerFont(TTFont("WeTicketSans", regular))
            pdfmetrics.registerFont(TTFont("WeTicketSans-Bold", bold))
        except (OSError, TTFError):
            continue
        return _Fonts("WeTicketSans", "WeTicketSans-Bold", unicode=True)
    return _BUILTIN_FONTS


_TRANSLITERATE = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "ı": "i", "ß": "ss", "\u00a0": " "}
)


def _cp1252_safe(text: str) -> str:
    """Make ``text`` printable with a WinAnsi-encoded built-in font."""
    out = []
    for char in text:
        try:
            char.encode("cp1252")
        except UnicodeEncodeError:
            plain = "".join(
                c
                for c in unicodedata.normalize("NFKD", char.translate(_TRANSLITERATE))
                if not unicodedata.combining(c)
            )
            try:
                plain.encode("cp1252")
            except UnicodeEncodeError:
                plain = "?"
            out.append(plain)
        else:
            out.append(char)
    return "".join(out)


def _parse_colour(value: object) -> colors.Color:
    """Parse ``#rgb`` / ``#rrggbb`` (``#`` optional); fall back to the default."""
    match = _HEX_COLOUR_RE.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        match = _HEX_COLOUR_RE.fullmatch(DEFAULT_PRIMARY_COLOUR)
        assert match is not None  # noqa: S101 - constant
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return colors.HexColor(f"#{digits}")


# --------------------------------------------------------------------------
# Drawing


class _Page:
    """Small helper bundling the canvas, fonts and text sanitising."""

    def __init__(self, canvas: Canvas, fonts: _Fonts) -> None:
        self.canvas = canvas
        self.fonts = fonts

    def text(self, value: str) -> str:
        value = " ".join(str(value).split())  # no newlines/tabs in drawString
        return value if self.fonts.unicode else _cp1252_safe(value)

    def draw(self, x: float, y: float, value: str, *, size: float, bold: bool = False) -> None:
        self.canvas.setFont(self.fonts.bold if bold else self.fonts.regular, size)
        self.canvas.drawString(x, y, self.text(value))

    def draw_right(self, x: float, y: float, value: str, *, size: float) -> None:
        self.canvas.setFont(self.fonts.regular, size)
        self.canvas.drawRightString(x, y, self.text(value))

    def draw_centred(self, x: float, y: float, value: str, *, size: float, font: str) -> None:
        self.canvas.setFont(font, size)
        self.canvas.drawCentredString(x, y, self.text(value))

    def wrap(
        self, value: str, *, size: float, width: float, bold: bool = False, max_lines: int = 3
    ) -> list[str]:
        font = self.fonts.bold if bold else self.fonts.regular
        lines = simpleSplit(self.text(value), font, size, width) or [""]
        truncated = len(lines) > max_lines
        lines = lines[:max_lines]

        def fits(line: str) -> bool:
            return pdfmetrics.stringWidth(line, font, size) <= width

        # Shorten the last kept line if text was dropped, and any single word
        # too long to wrap (a URL, say), ending them with "…" (also in cp1252).
        for i, line in enumerate(lines):
            if (truncated and i == len(lines) - 1) or not fits(line):
                while line and not fits(line + "…"):
                    line = line[:-1]
                lines[i] = line.rstrip() + "…"
        return lines


def _draw_ticket(
    page: _Page,
    ticket: TicketPrint,
    *,
    index: int,
    count: int,
    organisation_name: str,
    primary: colors.Color,
    labels: Mapping[str, str],
) -> None:
    canvas = page.canvas
    page_width, page_height = A4
    left, right = _MARGIN, page_width - _MARGIN
    width = right - left
    top = page_height - _MARGIN

    # Colour band across the top of the card; the outline is drawn last, once
    # the content height is known.
    canvas.saveState()
    card_shape = canvas.beginPath()
    card_shape.roundRect(left, _MARGIN, width, top - _MARGIN, 4 * mm)
    canvas.clipPath(card_shape, stroke=0, fill=0)
    canvas.setFillColor(primary)
    canvas.rect(left, top - 4 * mm, width, 4 * mm, stroke=0, fill=1)
    canvas.restoreState()

    inner_left, inner_right = left + 10 * mm, right - 10 * mm
    inner_width = inner_right - inner_left
    y = top - 16 * mm

    # Header: organisation name (primary colour) and "Ticket 1/3".
    canvas.setFillColor(primary)
    org_line = page.wrap(
        organisation_name, size=14, width=inner_width - 40 * mm, bold=True, max_lines=1
    )[0]
    page.draw(inner_left, y, org_line, size=14, bold=True)
    canvas.setFillColor(_MUTED)
    page.draw_right(inner_right, y, f"{labels['ticket']} {index}/{count}", size=10)
    y -= 5 * mm
    canvas.setStrokeColor(primary)
    canvas.setLineWidth(1.2)
    canvas.line(inner_left, y, inner_right, y)

    # Event title, wrapped.
    y -= 12 * mm
    canvas.setFillColor(_TEXT)
    for line in page.wrap(ticket.event_title, size=22, width=inner_width, bold=True):
        page.draw(inner_left, y, line, size=22, bold=True)
        y -= 9 * mm
    y -= 3 * mm
    if ticket.void_notice:
        canvas.setFillColor(colors.HexColor("#b91c1c"))
        for line in page.wrap(ticket.void_notice, size=16, width=inner_width, bold=True):
            page.draw(inner_left, y, line, size=16, bold=True)
            y -= 7 * mm
        y -= 3 * mm

    # QR code on the right with the ticket code under it.
    qr_left = inner_right - _QR_WIDTH
    qr_bottom = y + 4 * mm - _QR_WIDTH
    png = render_qr_png(ticket.token)
    canvas.drawImage(ImageReader(io.BytesIO(png)), qr_left, qr_bottom, _QR_WIDTH, _QR_WIDTH)
    code_font = "Courier-Bold" if ticket.code.isascii() else page.fonts.bold
    canvas.setFillColor(_TEXT)
    code_y = qr_bottom - 4 * mm
    page.draw_centred(qr_left + _QR_WIDTH / 2, code_y, ticket.code, size=13, font=code_font)

    # Details on the left.
    detail_width = qr_left - inner_left - 8 * mm
    rows = [
        (labels["date"], ticket.event_start, False),
        (labels["venue"], ticket.venue, False),
        (labels["type"], ticket.ticket_type, True),
        (labels["name"], ticket.holder_name, False),
        (labels["price"], ticket.price, False),
        (labels["order"], ticket.order_reference, False),
    ]
    for label, value, bold in rows:
        if not str(value).strip():
            continue
        canvas.setFillColor(_MUTED)
        page.draw(inner_left, y, label, size=9)
        y -= 5.5 * mm
        canvas.setFillColor(_TEXT)
        for line in page.wrap(value, size=13, width=detail_width, bold=bold, max_lines=2):
            page.draw(inner_left, y, line, size=13, bold=bold)
            y -= 5.5 * mm
        y -= 3.5 * mm

    # Instructions below whichever column is longer.
    y = min(y, code_y - 6 * mm) - 2 * mm
    canvas.setStrokeColor(_LINE)
    canvas.setLineWidth(0.8)
    canvas.setDash(3, 3)
    canvas.line(inner_left, y, inner_right, y)
    canvas.setDash()
    y -= 9 * mm
    canvas.setFillColor(primary)
    for line in page.wrap(
        labels["instructions"], size=12, width=inner_width, bold=True, max_lines=2
    ):
        page.draw_centred(left + width / 2, y, line, size=12, font=page.fonts.bold)
        y -= 6 * mm

    # Card outline around everything drawn above.
    card_bottom = y - 2 * mm
    canvas.setStrokeColor(_LINE)
    canvas.roundRect(left, card_bottom, width, top - card_bottom, 4 * mm, stroke=1, fill=0)


def render_order_pdf(
    tickets: Sequence[TicketPrint],
    *,
    organisation_name: str,
    primary_colour: str = DEFAULT_PRIMARY_COLOUR,
    labels: Mapping[str, str] | None = None,
) -> bytes:
    """Render every ticket of an order into one A4 PDF, one ticket per page.

    ``labels`` overrides any of :data:`DEFAULT_LABELS` (keys ``ticket``,
    ``date``, ``venue``, ``type``, ``name``, ``order``, ``price``,
    ``instructions``); unknown keys raise ``ValueError`` so a typo does not
    silently print English.  An unparsable ``primary_colour`` falls back to
    :data:`DEFAULT_PRIMARY_COLOUR`.  Empty ``venue``, ``holder_name`` or
    ``price`` rows are left out.  Raises ``ValueError`` for no tickets.
    """
    if not tickets:
        raise ValueError("render_order_pdf() needs at least one ticket")
    merged = dict(DEFAULT_LABELS)
    if labels:
        unknown = set(labels) - set(DEFAULT_LABELS)
        if unknown:
            raise ValueError(f"unknown label keys: {', '.join(sorted(unknown))}")
        merged.update({key: str(value) for key, value in labels.items()})

    fonts = _resolve_fonts(tuple(FONT_SEARCH_DIRS))
    primary = _parse_colour(primary_colour)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)

    events = list(dict.fromkeys(t.event_title for t in tickets))
    references = list(dict.fromkeys(t.order_reference for t in tickets if t.order_reference))
    title = f"{merged['ticket']} – {', '.join(events)}"
    if references:
        title += f" ({merged['order']} {', '.join(references)})"
    canvas.setTitle(title)
    canvas.setAuthor(organisation_name)
    canvas.setSubject(", ".join(references) or title)
    canvas.setCreator("weticket-wagtail")

    page = _Page(canvas, fonts)
    for index, ticket in enumerate(tickets, start=1):
        _draw_ticket(
            page,
            ticket,
            index=index,
            count=len(tickets),
            organisation_name=organisation_name,
            primary=primary,
            labels=merged,
        )
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
