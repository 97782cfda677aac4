"""The county map as inline SVG: one shaded ``<path>`` per county, for pages and PDFs alike (#33).

Drawn on the server from the outlines in data/geo/counties.json: no tiles, no script, nothing
fetched. Presentation attributes only (a strict Content-Security-Policy allows them; WeasyPrint
draws them the same). Each county is a link to the queue filtered to it where there is a queue
to go to, and carries a ``<title>`` with its figures; the page shows the same figures as a table.

Shades: ColorBrewer's "Purples" (single hue: safe for every kind of colour blindness and
in grey print), darker where the county needs more attention — a lower score or share assessed, a
higher share with gaps or exposure — on fixed classes, so two states or two quarters compare.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from html import escape

from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup

from portal.counties import HEIGHT, WIDTH, state_counties
from portal.figures.counties import MEASURES, CountyFigures, CountyMap, Measure
from portal.figures.queries import MIN_PEERS
from portal.geography import STATES

# ColorBrewer "Purples", 6 classes without the lightest (too near the white of "no organizations").
PURPLES = ("#dadaeb", "#bcbddc", "#9e9ac8", "#756bb1", "#54278f")
NO_ORGANIZATIONS = "#ffffff"
OUTSIDE = "#f0f0f0"  # drawn faintly, with a faint edge: not part of the picture
HATCH = "#71767a"
EDGE = "#565c65"
FAINT_EDGE = "#a9aeb1"


@dataclass(frozen=True)
class ShadeClass:
    low: int
    high: int
    colour: str
    label: str  # "0–39", "80–100 %"


def classes(measure: Measure) -> list[ShadeClass]:
    """The classes of a measure, lightest (least attention) first."""
    if measure is Measure.MEDIAN_SCORE:
        ranges = [(90, 100), (70, 89), (40, 69), (0, 39)]  # the tiers, best first
        colours: tuple[str, ...] = (PURPLES[0], PURPLES[1], PURPLES[3], PURPLES[4])
        unit = ""
    else:
        ranges = [(0, 19), (20, 39), (40, 59), (60, 79), (80, 100)]
        if MEASURES[measure].higher_is_better:
            ranges.reverse()
        colours = PURPLES
        unit = " %"
    return [
        ShadeClass(low, high, colour, f"{low}–{high}{unit}")
        for (low, high), colour in zip(ranges, colours, strict=True)
    ]


def shade_of(measure: Measure, value: int) -> ShadeClass:
    return next(c for c in classes(measure) if c.low <= value <= c.high)


def describe(figures: CountyFigures, measure: Measure) -> str:
    """The county's figures in words: its ``<title>`` on the map."""
    name = figures.county.label
    if figures.organizations == 0:
        return _("%(county)s: no organizations registered", county=name)
    orgs = ngettext("%(num)s organization", "%(num)s organizations", figures.organizations)
    value = figures.value(measure)
    if value is None:
        return _(
            "%(county)s: %(organizations)s; too few to show (fewer than %(min)s behind the figure)",
            county=name,
            organizations=orgs,
            min=MIN_PEERS,
        )
    definition = MEASURES[measure]
    shown = f"{value}{definition.unit.replace('%', ' %')}"
    return _(
        "%(county)s: %(measure)s %(value)s (%(organizations)s, %(assessed)s assessed)",
        county=name,
        measure=str(definition.label).lower(),
        value=shown,
        organizations=orgs,
        assessed=figures.assessed,
    )


def county_map_svg(
    figures: CountyMap,
    measure: Measure,
    *,
    link: Callable[[CountyFigures], str] | None = None,
    map_id: str = "county-map",
) -> Markup:
    """The state's counties shaded by ``measure``; ``link`` gives a county's queue address."""
    state = STATES.get(figures.state, figures.state)
    title = _("%(label)s by county, %(state)s", label=MEASURES[measure].label, state=state)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'class="portal-county-map" role="group" aria-labelledby="{map_id}-title">',
        f'<title id="{map_id}-title">{escape(title)}</title>',
        "<defs>",
        f'<pattern id="{map_id}-few" width="6" height="6" patternUnits="userSpaceOnUse" '
        f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_ORGANIZATIONS}"/>'
        f'<line x1="0" y1="0" x2="0" y2="6" stroke="{HATCH}" stroke-width="1.5"/></pattern>',
        "</defs>",
    ]
    by_fips = {c.county.fips: c for c in figures.counties}
    every = state_counties(figures.state)
    for county in every.counties if every else ():
        row = by_fips.get(county.fips)
        if row is None:
            outside = _("%(county)s: outside your jurisdiction", county=county.label)
            parts.append(
                f'<path d="{county.outline}" fill="{OUTSIDE}" stroke="{FAINT_EDGE}" '
                f'stroke-width="0.4"><title>{escape(outside)}</title></path>'
            )
            continue
        value = row.value(measure)
        if row.organizations == 0:
            fill = NO_ORGANIZATIONS
        elif value is None:
            fill = f"url(#{map_id}-few)"
        else:
            fill = shade_of(measure, value).colour
        words = escape(describe(row, measure))
        path = (
            f'<path d="{county.outline}" fill="{fill}" stroke="{EDGE}" stroke-width="0.6">'
            f"<title>{words}</title></path>"
        )
        if link is not None and row.organizations:
            parts.append(f'<a href="{escape(link(row))}" aria-label="{words}">{path}</a>')
        else:
            parts.append(path)
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text in it escaped above


def legend(measure: Measure, map_id: str = "county-map") -> Markup:
    """The classes with their swatches, as an HTML list (text stays readable on a phone)."""
    swatch = (
        '<svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true" focusable="false">'
        '<rect x="0.5" y="0.5" width="17" height="17" fill="{fill}" stroke="' + EDGE + '"/>'
        "{extra}</svg>"
    )
    hatch = (
        f'<line x1="0" y1="18" x2="18" y2="0" stroke="{HATCH}" stroke-width="1.5"/>'
        f'<line x1="-6" y1="12" x2="6" y2="0" stroke="{HATCH}" stroke-width="1.5"/>'
        f'<line x1="12" y1="24" x2="24" y2="12" stroke="{HATCH}" stroke-width="1.5"/>'
    )
    items = [
        f"<li>{swatch.format(fill=c.colour, extra='')} {escape(c.label)}</li>"
        for c in classes(measure)
    ]
    few = _("Too few to show (fewer than %(min)s organizations)", min=MIN_PEERS)
    none = _("No organizations")
    outside = _("Outside your jurisdiction")
    items.append(f"<li>{swatch.format(fill=NO_ORGANIZATIONS, extra=hatch)} {escape(few)}</li>")
    items.append(f"<li>{swatch.format(fill=NO_ORGANIZATIONS, extra='')} {escape(none)}</li>")
    items.append(f"<li>{swatch.format(fill=OUTSIDE, extra='')} {escape(outside)}</li>")
    darker = escape(_("Darker: needs more attention."))
    return Markup(  # noqa: S704 - labels escaped above
        f'<p class="portal-legend__note" id="{map_id}-legend">{darker}</p>'
        f'<ul class="portal-legend" aria-labelledby="{map_id}-legend">{"".join(items)}</ul>'
    )
