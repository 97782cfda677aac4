"""The dashboard's county map (#33): figures known in advance, k >= 5, one path per county with
an accessible name, the table beside it, the exports, and bad addresses answered in words."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, timedelta

import pytest
from flask import Flask
from openpyxl import load_workbook

from portal.counties import state_counties
from portal.extensions import db
from portal.figures.counties import Measure, county_map
from portal.models import User, utcnow
from tests.factories import World
from tests.review.program import build_ohio_program
from tests.web import login

OHIO_COUNTIES = 88


def _coordinator(world: World) -> User:
    """Coordinator X (Ohio, statewide), in the current app context."""
    import sqlalchemy as sa

    user = db.session.scalar(sa.select(User).where(User.email == world.coordinator_x))
    assert user is not None
    return user


def _figures(app: Flask, world: World) -> dict[str, object]:
    with app.app_context():
        user = _coordinator(world)
        assert user is not None
        found = county_map(user, "OH", utcnow())
        assert found is not None
        return {"map": found, "by": {c.county.name: c for c in found.counties}}


def test_every_figure_is_the_one_worked_out_by_hand(app: Flask, world: World) -> None:
    build_ohio_program(app)
    figures = _figures(app, world)
    found, by = figures["map"], figures["by"]
    assert len(found.counties) == OHIO_COUNTIES and not found.outside  # statewide
    assert found.off_map == 1  # Alpha Hospital's "Pine"
    franklin, pike, lake = by["Franklin"], by["Pike"], by["Lake"]
    assert (franklin.organizations, franklin.assessed) == (6, 6)  # two sectors, counted once
    assert [franklin.value(m) for m in Measure] == [65, 83, 33, 33]
    assert [pike.value(m) for m in Measure] == [None, None, None, None]  # 3 organizations
    assert [lake.value(m) for m in Measure] == [None, 40, None, 0]  # 5 registered, 2 assessed
    assert franklin.county.rural is False and pike.county.rural is True
    assert by["Adams"].organizations == 0


def test_the_map_has_one_named_path_per_county_and_the_table_says_the_same(
    app: Flask, world: World
) -> None:
    build_ohio_program(app)
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get("/review/dashboard?measure=median_score")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    svg = re.search(r'<svg[^>]*class="portal-county-map".*?</svg>', html, re.S)
    assert svg is not None
    paths = re.findall(r"<path [^>]*>(.*?)</path>", svg.group(0), re.S)
    assert len(paths) == OHIO_COUNTIES
    assert all(re.fullmatch(r"<title>[^<]+</title>", p) for p in paths)  # each one named
    assert "<title>Franklin County: median overall score 65 (6 organizations, 6 assessed)" in html
    assert "<title>Pike County: 3 organizations; too few to show" in html
    assert "<title>Adams County: no organizations registered</title>" in html
    # A county with figures links to the queue filtered to it, by its code.
    assert 'href="/review/?fips=39049"' in svg.group(0)
    franklin = x.get("/review/?fips=39049").get_data(as_text=True)
    assert "Franklin Program Member 0" in franklin and "Pike Program Member" not in franklin
    # The table: the same figures, "too few to show" where the map hatches.
    table = re.search(r"Figures by county, Ohio.*?</table>", html, re.S)
    assert table is not None
    rows = {
        cells[0]: cells[1:]
        for cells in (
            [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r)]
            for r in re.findall(r"<tr>(.*?)</tr>", table.group(0), re.S)[1:]
        )
    }
    assert rows["Franklin County"] == ["6", "6", "65", "83", "33", "33", "metro (1)"]
    assert rows["Pike County"][2:6] == ["too few to show"] * 4
    assert rows["Pike County"][6] == "rural (9)"
    assert rows["Lake County"][2:6] == ["too few to show", "40", "too few to show", "0"]
    assert "Adams County" not in rows  # no organizations: left out of the table, counted
    assert "85 counties with no organizations registered are left out" in html
    assert "1 organization registered under a county name that is not one of Ohio" in html
    # Another measure shades by its own classes: Franklin's 33 % with a gap is the 20-39 class.
    gaps = x.get("/review/dashboard?measure=critical_gaps").get_data(as_text=True)
    assert "Franklin County: with a critical gap 33 %" in gaps


def test_a_county_jurisdiction_sees_its_counties_and_the_rest_greyed(
    app: Flask, world: World
) -> None:
    """Coordinator Y covers Lake County, Indiana: one county shaded or not, 91 outside."""
    y = app.test_client()
    login(y, world.coordinator_y)
    html = y.get("/review/dashboard").get_data(as_text=True)
    assert "Counties of Indiana" in html
    assert html.count("outside your jurisdiction</title>") == 91
    assert "<title>Lake County: 1 organization; too few to show" in html
    # One organization: the empty state says why nothing is shaded, instead of a shade.
    assert "No county has 5 or more organizations behind this figure yet" in html


def test_exports_carry_the_counties_with_the_same_suppression(app: Flask, world: World) -> None:
    build_ohio_program(app)
    x = app.test_client()
    login(x, world.coordinator_x)
    body = x.get("/review/dashboard/counties.csv").get_data().decode("utf-8-sig")
    rows = {r["county"]: r for r in csv.DictReader(io.StringIO(body))}
    assert len(rows) == OHIO_COUNTIES
    assert rows["Franklin County"]["median_score"] == "65"
    assert rows["Franklin County"]["rural"] == "no"
    assert rows["Pike County"]["median_score"] == "" and rows["Pike County"]["rural"] == "yes"
    sheets = load_workbook(io.BytesIO(x.get("/review/dashboard.xlsx").get_data()))
    counties = sheets["Counties"]
    header = [c.value for c in counties[1]]
    franklin = next(r for r in counties.iter_rows(values_only=True) if r[1] == "Franklin County")
    assert franklin[header.index("Median overall score")] == 65
    assert (
        sum(
            r[header.index("Organizations")]
            for r in counties.iter_rows(min_row=2, values_only=True)
        )
        == 14
    )  # every member once; Alpha's "Pine" is not a county


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("measure=loudness", "Shade counties by: Not a valid choice"),
        ("state=TX", "State: Not a valid choice"),  # not a state coordinator X covers
        ("state=ZZ", "State: Not a valid choice"),
    ],
)
def test_an_address_asking_for_what_is_not_there_is_answered_in_words(
    app: Flask, world: World, query: str, words: str
) -> None:
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get(f"/review/dashboard?{query}")
    assert page.status_code == 400
    assert words.replace(": ", " — ") in page.get_data(as_text=True)
    csv_file = x.get(f"/review/dashboard/counties.csv?{query}")
    assert csv_file.status_code == 400 and words in csv_file.get_data(as_text=True)
    assert x.get("/review/?fips=4820").status_code == 400
    assert "A county code is five digits" in x.get("/review/?fips=abcde").get_data(as_text=True)


def test_an_unknown_county_code_is_an_empty_queue_not_an_error(app: Flask, world: World) -> None:
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get("/review/?fips=99999")
    assert page.status_code == 200


def test_an_admin_picks_any_state_and_a_state_with_nobody_is_an_empty_state(
    app: Flask, world: World
) -> None:
    admin = app.test_client()
    login(admin, world.admin)
    html = admin.get("/review/dashboard?state=WY").get_data(as_text=True)
    assert "No organizations in Wyoming have registered yet" in html
    assert html.count("<path ") == len(state_counties("WY").counties)
    assert 'fill="url(#county-map-few)"' not in html.split('class="portal-county-map"')[1]


def test_assessed_within_twelve_months_is_counted_from_today(app: Flask, world: World) -> None:
    build_ohio_program(app)
    with app.app_context():
        user = _coordinator(world)
        later = county_map(user, "OH", utcnow() + timedelta(days=340))
    assert later is not None
    franklin = next(c for c in later.counties if c.county.name == "Franklin")
    assert franklin.assessed_recently == 0


def test_the_dashboard_pdf_draws_the_map_and_its_table(app: Flask, world: World) -> None:
    from pypdf import PdfReader

    build_ohio_program(app)
    x = app.test_client()
    login(x, world.coordinator_x)
    response = x.get("/review/dashboard.pdf?measure=kev_exposure")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = PdfReader(io.BytesIO(response.get_data())).pages
    text = " ".join(" ".join(p.extract_text().split()) for p in pages)
    assert "Open known-exploited exposure by county, Ohio" in text
    assert "Franklin County" in text and "too few" in text
    assert "Rural-Urban Continuum Code" in text
    assert x.get("/review/dashboard.pdf?measure=x").status_code == 400


def test_what_most_organizations_miss_is_counted_once_per_organization(
    app: Flask, world: World
) -> None:
    build_ohio_program(app)
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get("/review/missed")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    rows = _rows(html, "Questions most often answered")
    mfa = next(r for r in rows if r[0].startswith("Do you require MFA for email"))
    assert mfa[1:5] == ["11", "4", "2", "55 %"]
    scan = next(r for r in rows if "CISA Cyber Hygiene Vulnerability Scanning" in r[5])
    assert scan[1:5] == ["11", "1", "0", "9 %"]
    assert rows.index(mfa) < rows.index(scan)  # most missed first
    goals = _rows(html, "CPG 2.0 goals")
    assert ["3.F Implement Multi-factor Authentication", "11", "4", "2", "55 %"] in goals
    metro = _rows(x.get("/review/missed?place=metro").get_data(as_text=True), "Questions most")
    assert [r for r in metro if r[1:5] == ["8", "3", "2", "62 %"]]
    rural = x.get("/review/missed?place=rural").get_data(as_text=True)
    assert "No question has 5 or more answers in this group yet (3 organizations" in rural
    electric = x.get("/review/missed?sector=electric").get_data(as_text=True)
    assert "(1 organization submitted)" in electric  # the water-and-power member, once
    body = x.get("/review/missed.csv").get_data().decode("utf-8-sig")
    exported = list(csv.DictReader(io.StringIO(body)))
    assert {"kind": "question", "id": "core.mfa_remote_email", "share_missed": "55"}.items() <= (
        exported[0].items()
    )
    assert x.get("/review/missed?place=suburban").status_code == 400
    assert x.get("/review/missed?sector=nuclear").status_code == 400


def _rows(html: str, caption: str) -> list[list[str]]:
    found = re.search(re.escape(caption) + r".*?</table>", html, re.S)
    assert found is not None, caption
    return [
        [
            " ".join(re.sub(r"<[^>]+>", " ", c).split())
            for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", r, re.S)
        ]
        for r in re.findall(r"<tr>(.*?)</tr>", found.group(0), re.S)[1:]
    ]


def test_progress_stands_each_organization_once_at_each_quarter_end(
    app: Flask, world: World
) -> None:
    from portal.figures.progress import Quarter, progress

    build_ohio_program(app)
    with app.app_context():
        user = _coordinator(world)
        today = utcnow().date()
        from portal.questionnaire_versions import current

        found = progress(user, current(), today, UTC)
    everyone = found.groups[0]
    now = everyone.quarters[-1]
    assert now.quarter == Quarter.of(today)
    assert (now.organizations, now.median, now.with_critical_gaps, now.gap_share) == (11, 60, 4, 36)
    assert now.bands == {"0-39": 2, "40-69": 4, "70-89": 3, "90-100": 2}
    early = Quarter.of((utcnow() - timedelta(days=400)).date())
    standing = {q.quarter: q for q in everyone.quarters}
    if early in standing:  # (eight quarters back: always, unless the program is moved)
        assert standing[early].organizations == 1 and standing[early].median is None
    change = everyone.change
    assert (change.organizations, change.improved, change.reassessed_within_year) == (1, 1, 1)
    assert change.gaps_closed == 1 and change.first_median is None  # one organization: too few
    water = next(g for g in found.groups if g.key == "water")
    electric = next(g for g in found.groups if g.key == "electric")
    assert water.quarters[-1].organizations == 11 and electric.quarters[-1].organizations == 1
    x = app.test_client()
    login(x, world.coordinator_x)
    html = x.get("/review/progress").get_data(as_text=True)
    assert html.count('class="portal-small-multiple"') == 3  # everyone, electric, water
    assert "too few to show" in html
    body = x.get("/review/progress.csv").get_data().decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    last = [r for r in rows if r["group"] == "Every organization"][-1]
    assert (last["organizations"], last["median"], last["critical_gap_share"]) == ("11", "60", "36")


def test_the_grant_pack_counts_each_organization_once_with_every_figure_known(
    app: Flask, world: World
) -> None:
    ids = build_ohio_program(app)
    x = app.test_client()
    login(x, world.coordinator_x)
    page = x.get("/review/grant")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    measures = {
        r[0].split(" As reported")[0].split(" Organizations that")[0]: r[1:]
        for r in _rows(html, "Every organization: measures")
    }
    assert measures["Completed a cyber risk assessment in the period"] == ["10", "15", "67 %", "0"]
    # Figures from fewer than 5 organizations are not shown (k >= 5); their "not asked" are.
    assert measures["Held a tabletop exercise in the last 12 months"] == [
        "too few to show (4 asked)",
        "6",
    ]
    assert measures["Held an operations-based exercise in the last 12 months"][0].endswith(
        "(2 asked)"
    )
    assert measures["Phishing training in the last 12 months"] == ["too few to show (1 asked)", "9"]
    assert measures["Meets at least half of the CPG goals it answered"] == ["7", "10", "70 %", "0"]
    from portal.figures.grant import Period, grant_pack
    from portal.questionnaire_versions import current

    with app.app_context():
        import sqlalchemy as sa

        user = _coordinator(world)
        today = utcnow().date()
        pack = grant_pack(
            user, current(), Period(today - timedelta(days=364), today), UTC, utcnow()
        )
    counted = {m.key: (m.count, m.base, m.not_asked) for m in pack.everyone.measures}
    assert counted["tabletop"] == (2, 4, 6)  # a "yes", and a "partly" within 6 months
    assert counted["operations"] == (1, 2, 8) and counted["full_scale"] == (1, 2, 8)
    assert counted["phishing"] == (1, 1, 9)  # the pre-2026.5 practice answer: "not asked"
    assert counted["role_based"] == (1, 2, 8) and counted["awareness"] == (2, 2, 8)
    government = {r[0]: r[1:] for r in _rows(html, "Local and state government bodies: measures")}
    assert government["Completed a cyber risk assessment in the period"][:2] == ["7", "7"]
    breakdown = {r[0]: r[1:] for r in _rows(html, "Measures by kind of entity")}
    assert breakdown["Rural counties"][:2] == ["3", "too few to show"]  # k >= 5
    # Shown, the local bodies would give away the one state body (government 7 - local 6) and
    # the metro counties the rural and unclassified four (15 - 11): both withheld.
    assert breakdown["Local government"][:2] == ["6", "withheld"]
    assert breakdown["Metro counties"][:2] == ["11", "withheld"]
    # The spreadsheet: its totals checked against the database.
    from openpyxl import load_workbook as opened

    book = opened(io.BytesIO(x.get("/review/grant.xlsx").get_data()))
    rows = list(book["Organizations"].iter_rows(values_only=True))
    header, body = rows[0], rows[1:]
    assert len(body) == 15 and len({r[0] for r in body}) == 15  # each organization once
    with app.app_context():
        import sqlalchemy as sa

        from portal.models import Organization

        in_ohio = db.session.scalar(
            sa.select(sa.func.count()).select_from(Organization).where(Organization.state == "OH")
        )
    assert in_ohio == 15
    column = {name: i for i, name in enumerate(header)}
    entity = [r[column["Kind of entity"]] for r in body]
    assert (entity.count("Local government"), entity.count("State government")) == (6, 1)
    assert entity.count("Not a government body") == 1
    assert entity.count("Public, level not reported") == 7
    rural = [r[column["Rural"]] for r in body]
    assert (rural.count("yes"), rural.count("no"), rural.count(None)) == (3, 11, 1)  # (empty)
    first = next(r for r in body if r[column["Id"]] == ids[0])
    assert (first[column["CPG goals met"]], first[column["CPG goals answered"]]) == (3, 6)
    assert first[column["CPG adoption level (%)"]] == 50
    measured = {
        (r[0], r[2]): r[3:7] for r in book["Measures"].iter_rows(min_row=2, values_only=True)
    }
    assert measured[("Every organization", "Completed a cyber risk assessment in the period")] == (
        10,
        15,
        67,
        0,
    )
    assert (
        measured[("Rural counties", "Completed a cyber risk assessment in the period")]
        == (None,) * 4
    )
    about = dict(book["About"].iter_rows(values_only=True))
    assert about["Marking"].startswith("SENSITIVE")
    # The PDF narrative says the same.
    from pypdf import PdfReader

    pdf = x.get("/review/grant.pdf")
    assert pdf.status_code == 200
    text = " ".join(
        " ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(pdf.get_data())).pages
    )
    assert "10 of 15 (67 %) completed a cyber risk assessment during the period" in text
    assert "Held a tabletop exercise in the last 12 months: too few to show" in text
    assert "Meets at least half of the CPG goals it answered: 7 of 10 (70 %)" in text


def test_an_answer_hidden_by_a_later_change_and_an_old_assessment_report_nothing(
    app: Flask, world: World
) -> None:
    """'Never' held a tabletop, with a date and a drill left behind from before: the date is not
    counted (its question is hidden), the drill is (asked of everyone). An assessment older than
    12 months before the period's end reports nothing for the period."""
    from portal.figures.grant import Period, grant_pack
    from portal.models import Answer, Assessment, AssessmentStatus, Organization
    from portal.questionnaire_versions import current, publish_current

    with app.app_context():
        version = publish_current()
        organization = db.session.get(Organization, world.org_a)
        organization.created_at = utcnow() - timedelta(days=2000)  # registered long before
        made = []
        for days, answers in (
            (1500, {"core.incident_exercise": "yes", "core.phishing_training": "yes"}),
            (20, {"core.incident_exercise": "no", "core.exercise_when": "within_6m",
                  "core.operations_exercise": "drill"}),
        ):  # fmt: skip
            assessment = Assessment(
                organization_id=organization.id,
                questionnaire_version_id=version.id,
                modules=["core", "hospital"],
                status=AssessmentStatus.ACCEPTED,
                submitted_at=utcnow() - timedelta(days=days),
                overall_score=50,
                overall_tier="developing",
                critical_gap_count=0,
            )
            db.session.add(assessment)
            db.session.flush()
            db.session.add_all(
                [
                    Answer(assessment_id=assessment.id, question_id=q, value=v)
                    for q, v in answers.items()
                ]
            )
            made.append(assessment)
        db.session.commit()
        user = _coordinator(world)
        today = utcnow().date()
        now_pack = grant_pack(
            user, current(), Period(today - timedelta(days=364), today), UTC, utcnow()
        )
        row = next(r for r in now_pack.organizations if r.id == world.org_a)
        assert (row.tabletop, row.operations) == ("no", "yes")
        long_ago = today - timedelta(days=1400)
        old_pack = grant_pack(
            user, current(), Period(long_ago - timedelta(days=364), long_ago), UTC, utcnow()
        )
        old = next(r for r in old_pack.organizations if r.id == world.org_a)
        assert old.reported_on is not None and old.phishing == "yes"
        later = today - timedelta(days=300)
        gap_pack = grant_pack(
            user, current(), Period(later - timedelta(days=364), later), UTC, utcnow()
        )
        gap = next(r for r in gap_pack.organizations if r.id == world.org_a)
        assert gap.reported_on is None and gap.phishing == "not reported"  # 1,200 days old by then


def test_a_grant_period_with_nothing_in_it_is_an_empty_state_and_bad_dates_a_400(
    app: Flask, world: World
) -> None:
    build_ohio_program(app)
    x = app.test_client()
    login(x, world.coordinator_x)
    old = x.get("/review/grant?first=2020-01-01&last=2020-12-31").get_data(as_text=True)
    assert "No organization you cover had registered by the period's last day" in old
    for query, words in (
        ("first=2026-05-01&last=2026-01-01", "The last day comes before the first day."),
        ("first=2026-01-01&last=2099-01-01", "The last day is after today"),
        ("first=2010-01-01&last=2026-01-01", "Choose a period of at most 5 years."),
        ("first=yesterday", "Not a valid date value."),
    ):
        response = x.get(f"/review/grant?{query}")
        assert response.status_code == 400 and words in response.get_data(as_text=True), query
        assert x.get(f"/review/grant.xlsx?{query}").status_code == 400
    # Empty boxes take the default period (the 12 months to today) rather than failing.
    today = utcnow().date()
    year_ago, long_ago = today - timedelta(days=300), today - timedelta(days=800)
    for query in ("first=&last=", f"first={year_ago}&last=", f"first=&last={long_ago}"):
        assert x.get(f"/review/grant?{query}").status_code == 200, query
        assert x.get(f"/review/grant.xlsx?{query}").status_code == 200, query


def test_the_default_period_is_the_365_days_to_today_even_on_february_29() -> None:
    from datetime import date

    from portal.figures.grant import default_period

    period = default_period(date(2028, 2, 29))
    assert (period.first, period.last) == (date(2027, 3, 2), date(2028, 2, 29))


def test_what_is_missed_leaves_out_hidden_answers_and_counts_goals_by_organization(
    app: Flask, world: World
) -> None:
    """Five organizations answer "no" to OT segmentation, but four of them then said they run no
    OT: the question is hidden for them, so it has one answer — too few to list. Goal 3.F, asked
    through two questions of one organization, counts that organization once."""
    from portal.models import Answer, Assessment

    ids = build_ohio_program(app)
    with app.app_context():
        import sqlalchemy as sa

        latest = dict(
            db.session.execute(
                sa.select(Assessment.organization_id, Assessment.id).where(
                    Assessment.organization_id.in_(ids[:5]), Assessment.is_latest_submission
                )
            ).all()
        )
        for number, org in enumerate(ids[:5]):
            runs = "yes" if number == 0 else "no"
            db.session.add_all(
                [
                    Answer(assessment_id=latest[org], question_id="core.runs_ot", value=runs),
                    Answer(
                        assessment_id=latest[org], question_id="core.ot_segmentation", value="no"
                    ),
                ]
            )
        db.session.add(
            Answer(assessment_id=latest[ids[0]], question_id="core.mfa_admin_strong", value="no")
        )
        db.session.commit()
        user = _coordinator(world)
        from portal.figures.missed import most_missed
        from portal.questionnaire_versions import current

        found = most_missed(user, current())
    assert "core.ot_segmentation" not in [m.key for m in found.questions]
    goal = next(m for m in found.goals if m.key == "3.F")
    assert (goal.answered, goal.not_in_place, goal.dont_know) == (11, 4, 2)  # each org once


def test_an_i_dont_know_stays_in_the_base_and_an_old_date_is_a_no() -> None:
    from portal.figures.grant import NOT_ASKED, _answer, _tabletop, _yes_if

    assert (
        _yes_if(
            _answer({"core.phishing_training": "dont_know"}, "core.phishing_training", True),
            {"yes"},
        )
        == "no"
    )
    assert _answer({}, "core.phishing_training", True) == NOT_ASKED
    # A tabletop said to be in the last 12 months, but dated over 12 months ago: no.
    assert _tabletop({"core.incident_exercise": "yes", "core.exercise_when": "over_12m"}) == "no"
    assert (
        _tabletop({"core.incident_exercise": "partly", "core.exercise_when": "within_12m"}) == "yes"
    )
    assert _tabletop({"core.incident_exercise": "dont_know"}) == "no"
