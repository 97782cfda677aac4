"""Server-rendered SVG charts, shared by the pages and the PDFs.

Presentation attributes only (no style attributes), so a strict Content-Security-Policy allows
them and WeasyPrint renders them the same. Every label is escaped. Each chart carries a title and
description for screen readers; pages also show the same figures as a table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

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


def priority_bars(
    bars: list[Bar], *, title: str, width: int = 640, chart_id: str = "chart"
) -> Markup:
    """Horizontal bars on the 0–100 scale with the tier thresholds as grid lines.

    ``chart_id`` keeps the title/description ids unique when a page shows several charts.
    """
    row, label_width, right = 34, 250, 56
    plot = width - label_width - right
    height = row * len(bars) + 30
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="portal-chart" viewBox="0 0 {width} '
        f'{height}" width="100%" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" '
        'font-family="Source Sans, Source Sans Pro Web, Helvetica, Arial, sans-serif">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">'
        + escape("; ".join(f"{b.label}: {_text(b.score)}" for b in bars))
        + "</desc>",
    ]
    for tick in (0, 40, 70, 90, 100):
        x = label_width + plot * tick / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="4" x2="{x:.1f}" y2="{height - 22}" '
            'stroke="#dfe1e2" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{x:.1f}" y="{height - 6}" font-size="11" fill="#565c65" '
            f'text-anchor="middle">{tick}</text>'
        )
    for index, bar in enumerate(bars):
        y = 6 + index * row
        parts.append(
            f'<text x="{label_width - 10}" y="{y + 17}" font-size="14" fill="#1b1b1b" '
            f'text-anchor="end">{escape(bar.label)}</text>'
        )
        if bar.score is None:
            parts.append(
                f'<text x="{label_width + 6}" y="{y + 17}" font-size="13" '
                'fill="#565c65">not applicable</text>'
            )
            continue
        length = plot * bar.score / 100
        colour = TIER_COLOURS.get(bar.tier, TIER_COLOURS[None])
        parts.append(
            f'<rect x="{label_width}" y="{y + 3}" width="{length:.1f}" height="20" '
            f'rx="2" fill="{colour}"/>'
        )
        if bar.previous is not None:
            px = label_width + plot * bar.previous / 100
            parts.append(
                f'<line x1="{px:.1f}" y1="{y}" x2="{px:.1f}" y2="{y + 26}" '
                'stroke="#1b1b1b" stroke-width="2" stroke-dasharray="3 2"/>'
            )
        parts.append(
            f'<text x="{label_width + length + 6:.1f}" y="{y + 18}" font-size="14" '
            f'font-weight="700" fill="#1b1b1b">{bar.score}</text>'
        )
    parts.append("</svg>")
    # Safe to mark: every piece of text above went through escape(); the rest is our markup.
    return Markup("".join(parts))  # noqa: S704


def _text(score: int | None) -> str:
    return "not applicable" if score is None else f"{score} out of 100"


def priority_chart(
    questionnaire: Questionnaire,
    result: ScoreResult,
    previous: Mapping[str, int | None] | None = None,
) -> Markup:
    """The score per defensive priority (results page, review page, plan PDF), with the previous
    submission's score marked where there is one."""
    previous = previous or {}
    return priority_bars(
        [
            Bar(
                questionnaire.priority(p.priority_id).title,
                p.score,
                p.tier_id,
                previous.get(p.priority_id),
            )
            for p in result.priorities
        ],
        title="Score per defensive priority, out of 100",
    )
