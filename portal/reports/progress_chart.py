"""Progress over time as small multiples: one small SVG per group (everyone, then each sector),
the same scales in each, so the eye compares them (#33).

Each panel: a column per quarter, 100 % high, split into the four score bands (the tiers'
colours, worst at the bottom), with the number of organizations under it. Presentation
attributes only; every text escaped; each panel has a title and a description, and the page
gives the same figures as a table beside it.
"""

from __future__ import annotations

from html import escape

from flask_babel import gettext as _
from markupsafe import Markup

from portal.figures.bands import SCORE_BANDS
from portal.figures.progress import GroupProgress
from portal.reports.charts import TIER_COLOURS

# The bands in tier order, worst first (drawn from the bottom up).
BAND_COLOURS = dict(
    zip(
        (b.key for b in SCORE_BANDS),
        (
            TIER_COLOURS["at_risk"],
            TIER_COLOURS["developing"],
            TIER_COLOURS["established"],
            TIER_COLOURS["advanced"],
        ),
        strict=True,
    )
)
WIDTH, HEIGHT = 320, 190
TOP, BOTTOM, LEFT = 10, 150, 30


def panel(group: GroupProgress, title: str, chart_id: str) -> Markup:
    """One group's quarters as 100 % columns of score bands."""
    quarters = group.quarters
    step = (WIDTH - LEFT - 6) / len(quarters)
    bar = step * 0.7
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="portal-small-multiple" role="img" aria-labelledby="{chart_id}-t {chart_id}-d">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        f'<desc id="{chart_id}-d">{escape(_description(group))}</desc>',
    ]
    for share in (0, 50, 100):
        y = BOTTOM - (BOTTOM - TOP) * share / 100
        parts.append(
            f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 4}" y2="{y:.1f}" stroke="#dfe1e2"/>'
            f'<text x="{LEFT - 4}" y="{y + 4:.1f}" font-size="12" text-anchor="end" '
            f'fill="#1b1b1b">{share}%</text>'
        )
    for index, standing in enumerate(quarters):
        x = LEFT + index * step + (step - bar) / 2
        total = standing.organizations
        y = float(BOTTOM)
        if standing.shown:
            for band in SCORE_BANDS:
                height = (BOTTOM - TOP) * standing.bands[band.key] / total
                if height:
                    y -= height
                    parts.append(
                        f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                        f'fill="{BAND_COLOURS[band.key]}"/>'
                    )
        else:
            parts.append(
                f'<rect x="{x:.1f}" y="{TOP}" width="{bar:.1f}" height="{BOTTOM - TOP}" '
                'fill="none" stroke="#a9aeb1" stroke-dasharray="3 3"/>'
            )
        # The quarter's first month, abbreviated.
        label = (_("Jan"), _("Apr"), _("Jul"), _("Oct"))[standing.quarter.number - 1]
        if index == 0 or standing.quarter.number == 1:
            label += f" '{standing.quarter.year % 100:02d}"
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{BOTTOM + 14}" font-size="12" text-anchor="middle" '
            f'fill="#1b1b1b">{escape(label)}</text>'
            f'<text x="{x + bar / 2:.1f}" y="{BOTTOM + 28}" font-size="12" text-anchor="middle" '
            f'fill="#565c65">{total}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it escaped above


def _description(group: GroupProgress) -> str:
    first, last = group.quarters[0], group.quarters[-1]
    return _(
        "From %(first)s to %(last)s: %(first_organizations)s to %(last_organizations)s "
        "organizations assessed; median score %(first_median)s to %(last_median)s; with a "
        "critical gap %(first_share)s to %(last_share)s.",
        first=first.quarter.label,
        last=last.quarter.label,
        first_organizations=first.organizations,
        last_organizations=last.organizations,
        first_median=_or_dash(first.median),
        last_median=_or_dash(last.median),
        first_share=_pct(first.gap_share),
        last_share=_pct(last.gap_share),
    )


def _or_dash(value: int | None) -> str:
    return _("too few to show") if value is None else str(value)


def _pct(value: int | None) -> str:
    return _("too few to show") if value is None else f"{value} %"
