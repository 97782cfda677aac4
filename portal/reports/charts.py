"""Server-rendered SVG charts, shared by the pages and the PDFs.

Presentation attributes only (no style attributes), so a strict Content-Security-Policy allows
them and WeasyPrint renders them the same. Every label is escaped. Each chart carries a title and
description for screen readers; pages also show the same figures as a table.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont

from portal.config import PROJECT_ROOT
from portal.questionnaire.model import Questionnaire
from portal.scoring import ScoreResult

# USWDS-compatible colours with enough contrast on white (WCAG AA for the text we draw).
TIER_COLOURS = {
    "at_risk": "#b50909",
    "developing": "#c05600",
    "established": "#2e6276",
    "advanced": "#00a91c",
    None: "#71767a",
}


@dataclass(frozen=True)
class Bar:
    label: str
    score: int | None
    tier: str | None
    previous: int | None = None


# The tier thresholds, drawn as labelled lines (the questionnaires' tiers start at these scores).
TIER_LINES = ((40, _l("Developing")), (70, _l("Established")), (90, _l("Advanced")))


def priority_bars(
    bars: list[Bar],
    *,
    title: str,
    width: int = 640,
    chart_id: str = "chart",
    responsive: bool = False,
) -> Markup:
    """Horizontal bars on the 0–100 scale with the tier thresholds as labelled lines.

    ``chart_id`` keeps the title/description ids unique when a page shows several charts.
    ``responsive``: pages get a second, stacked drawing (label above its bar) that a phone shows
    instead, so that no text is drawn below 12 px on a 360 px screen; PDFs get the wide one.
    """
    wide = _bars_wide(bars, title, width, chart_id)
    if not responsive:
        return wide
    narrow = _bars_stacked(bars, title, f"{chart_id}-narrow")
    return Markup(  # noqa: S704 - both parts are built from escaped text
        f'<span class="portal-chart-wide">{wide}</span>'
        f'<span class="portal-chart-narrow">{narrow}</span>'
    )


def _svg_open(width: int, height: int, chart_id: str, title: str, bars: list[Bar]) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart" viewBox="0 0 {width} '
        f'{height}" width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="Source Sans, Source Sans Pro Web, Helvetica, Arial, sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(description(bars))}</desc>',
    ]


def description(bars: list[Bar]) -> str:
    """What the chart shows, in words: the SVG's description and the Word picture's
    alternative text."""
    scores = "; ".join(f"{b.label}: {_text(b.score)}" for b in bars)
    lines = ", ".join(_("%(tier)s from %(score)s", tier=n, score=t) for t, n in TIER_LINES)
    return _("%(scores)s. Tier lines: %(lines)s", scores=scores, lines=lines)


def _grid(parts: list[str], left: float, plot: float, top: int, bottom: int, size: int) -> None:
    """Scale ticks under the plot and the tier lines with their names above it."""
    for tick in (0, 100):
        x = left + plot * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" '
            'stroke="#dfe1e2" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{bottom + size + 2}" font-size="{size}" fill="#3d4551" '
            f'text-anchor="middle">{tick}</text>'
        )
    for index, (threshold, name) in enumerate(TIER_LINES):
        x = left + plot * threshold / 100
        # Lines 70 and 90 are close: the middle name sits a row higher so that none overlap.
        label_y = top - 5 - (size + 3) * (index % 2)
        parts.append(
            f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{bottom}" '
            'stroke="#a9aeb1" stroke-width="1" stroke-dasharray="4 3"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{label_y}" font-size="{size}" fill="#3d4551" '
            f'text-anchor="middle">{escape(str(name))} {threshold}</text>'
        )


def _bar(parts: list[str], bar: Bar, left: float, plot: float, y: float, size: int) -> None:
    if bar.score is None:
        words = escape(_("not applicable"))
        parts.append(
            f'<text x="{left + 6}" y="{y + 16}" font-size="{size}" fill="#3d4551">{words}</text>'
        )
        return
    length = plot * bar.score / 100
    colour = TIER_COLOURS.get(bar.tier, TIER_COLOURS[None])
    parts.append(
        f'<rect x="{left}" y="{y + 3}" width="{length:.1f}" height="20" rx="2" fill="{colour}"/>'
    )
    if bar.previous is not None:
        px = left + plot * bar.previous / 100
        parts.append(
            f'<line x1="{px:.1f}" y1="{y}" x2="{px:.1f}" y2="{y + 26}" '
            'stroke="#1b1b1b" stroke-width="2" stroke-dasharray="3 2"/>'
        )
    parts.append(
        f'<text x="{left + length + 6:.1f}" y="{y + 18}" font-size="{size}" '
        f'font-weight="700" fill="#1b1b1b">{bar.score}</text>'
    )


def _bars_wide(bars: list[Bar], title: str, width: int, chart_id: str) -> Markup:
    row, label_width, right, top = 34, 250, 56, 38
    plot = width - label_width - right
    height = top + row * len(bars) + 30
    parts = _svg_open(width, height, chart_id, title, bars)
    _grid(parts, label_width, plot, top - 2, height - 22, 12)
    for index, bar in enumerate(bars):
        y = top + 4 + index * row
        parts.append(
            f'<text x="{label_width - 10}" y="{y + 17}" font-size="14" fill="#1b1b1b" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        _bar(parts, bar, label_width, plot, y, 14)
    parts.append("</svg>")
    # Safe to mark: every piece of text above went through escape(); the rest is our markup.
    return Markup("".join(parts))  # noqa: S704


def _bars_stacked(bars: list[Bar], title: str, chart_id: str) -> Markup:
    """For a phone: each label on its own line above its bar, drawn at about its real size."""
    width, left, right, top, row = 340, 4, 40, 40, 54
    plot = width - left - right
    height = top + row * len(bars) + 24
    parts = _svg_open(width, height, chart_id, title, bars)
    _grid(parts, left, plot, top - 2, height - 20, 13)
    for index, bar in enumerate(bars):
        y = top + 4 + index * row
        parts.append(
            f'<text x="{left}" y="{y + 14}" font-size="14" fill="#1b1b1b">'
            f"{escape(bar.label)}</text>"
        )
        _bar(parts, bar, left, plot, y + 20, 14)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704


def _text(score: int | None) -> str:
    return _("not applicable") if score is None else _("%(score)s out of 100", score=score)


PRIORITY_TITLE = _l("Score per defensive priority, out of 100")


def _priority_bars(
    questionnaire: Questionnaire,
    result: ScoreResult,
    previous: Mapping[str, int | None] | None = None,
) -> list[Bar]:
    previous = previous or {}
    return [
        Bar(
            questionnaire.priority(p.priority_id).title,
            p.score,
            p.tier_id,
            previous.get(p.priority_id),
        )
        for p in result.priorities
    ]


def priority_chart(
    questionnaire: Questionnaire,
    result: ScoreResult,
    previous: Mapping[str, int | None] | None = None,
    *,
    responsive: bool = False,
) -> Markup:
    """The score per defensive priority (results page, review page, plan PDF), with the previous
    submission's score marked where there is one."""
    return priority_bars(
        _priority_bars(questionnaire, result, previous),
        title=str(PRIORITY_TITLE),
        responsive=responsive,
    )


def priority_png(questionnaire: Questionnaire, result: ScoreResult) -> tuple[bytes, str]:
    """The same chart as a picture for a Word document (Word shows no SVG everywhere), drawn
    with Pillow at twice the PDF's size in the portal's own font, and its alternative text."""
    bars = _priority_bars(questionnaire, result)
    return _png(bars), f"{PRIORITY_TITLE}. {description(bars)}"


FONTS = PROJECT_ROOT / "static" / "uswds" / "fonts" / "source-sans-pro"


@functools.cache
def _font(weight: str, size: int) -> ImageFont.FreeTypeFont:
    """The portal's Source Sans at ``size`` pixels (Pillow reads WOFF2 through FreeType)."""
    return ImageFont.truetype(str(FONTS / f"sourcesanspro-{weight}-webfont.woff2"), size)


def _png(bars: list[Bar]) -> bytes:
    scale, width = 2, 640
    row, label_width, right, top = 34, 250, 56, 38
    plot = width - label_width - right
    height = top + row * len(bars) + 30
    image = Image.new("RGB", (width * scale, height * scale), "white")
    draw = ImageDraw.Draw(image)
    regular, small, bold = (_font(name, size * scale) for name, size in
                            (("regular", 14), ("regular", 12), ("bold", 14)))  # fmt: skip

    def x_of(score: float) -> float:
        return (label_width + plot * score / 100) * scale

    bottom = (height - 22) * scale
    for tick in (0, 100):
        draw.line([(x_of(tick), (top - 2) * scale), (x_of(tick), bottom)], "#dfe1e2", scale)
        draw.text((x_of(tick), bottom + 2 * scale), str(tick), "#3d4551", small, anchor="mt")
    for index, (threshold, name) in enumerate(TIER_LINES):
        for y in range((top - 2) * scale, bottom, 7 * scale):  # dashed, as in the SVG
            draw.line([(x_of(threshold), y), (x_of(threshold), y + 4 * scale)], "#a9aeb1", scale)
        label_y = (top - 5 - 15 * (index % 2)) * scale
        draw.text((x_of(threshold), label_y), f"{name} {threshold}", "#3d4551", small, anchor="md")
    for index, bar in enumerate(bars):
        y = (top + 4 + index * row) * scale
        draw.text(((label_width - 10) * scale, y + 17 * scale), bar.label, "#1b1b1b", regular,
                  anchor="rs")  # fmt: skip
        if bar.score is None:
            draw.text((x_of(0) + 6 * scale, y + 16 * scale), _("not applicable"), "#3d4551",
                      regular, anchor="ls")  # fmt: skip
            continue
        colour = TIER_COLOURS.get(bar.tier, TIER_COLOURS[None])
        draw.rectangle([(x_of(0), y + 3 * scale), (x_of(bar.score), y + 23 * scale)], colour)
        draw.text((x_of(bar.score) + 6 * scale, y + 18 * scale), str(bar.score), "#1b1b1b", bold,
                  anchor="ls")  # fmt: skip
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    return buffer.getvalue()
