"""Known-exploited matches an operator can act on (domain core, no app): settled matches leave
the plan and stop counting as critical, a changed version asks again, the catalog's own days set
the deadline, end of life means Replace, not Patch, a break-in check comes before the patch on
exposed edge devices, and the portal's own words read at grade 9 or below."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from functools import cache

import textstat

from portal.kev.catalog import SNAPSHOT, KevEntry, parse_catalog
from portal.kev.lifecycle import load_snapshot
from portal.kev.matching import (
    ProductInUse,
    ProductMatch,
    Triage,
    TriageState,
    advisory_url,
    asks_for_compromise_check,
    cisa_days,
    plain_kind,
    says_end_of_life,
)
from portal.questionnaire import Questionnaire
from portal.remediation import build_plan
from portal.scoring import score_assessment
from tests.domain.answers import answers_for

TODAY = date(2026, 12, 6)


@cache
def entries() -> dict[str, KevEntry]:
    return {e.cve_id: e for e in parse_catalog(SNAPSHOT.read_bytes()).entries}


def product(
    name: str,
    *,
    category: str = "edge",
    vendor: str = "",
    version: str = "",
    facing: bool = True,
    family: str = "x",
) -> ProductInUse:
    return ProductInUse(1, category, vendor, name, version, facing, False, family, name)


def settled(state: TriageState, version: str = "") -> Triage:
    return Triage(state, "", version, version, "Pat", datetime(2026, 12, 1, tzinfo=UTC))


def test_a_settled_match_leaves_the_open_list_and_a_changed_version_asks_again() -> None:
    first, second = entries()["CVE-2024-21762"], entries()["CVE-2022-42475"]
    match = ProductMatch(
        product("FortiGate", version="7.4.5"),
        (first, second),
        triage=(("CVE-2024-21762", settled(TriageState.FIXED, "7.4.5")),),
    )
    assert match.open_entries == (second,)
    assert match.critical  # one still open, facing the internet
    all_done = replace(
        match,
        triage=(*match.triage, ("CVE-2022-42475", settled(TriageState.NOT_AFFECTED, "7.4.5"))),
    )
    assert all_done.open_entries == () and not all_done.critical
    # The operator changes the version on the list: both are asked again.
    moved = replace(all_done, product=product("FortiGate", version="7.4.1"))
    assert moved.is_stale(first) and moved.open_entries == (first, second)
    # "Open" on purpose keeps it open.
    reopened = replace(all_done, triage=(("CVE-2024-21762", settled(TriageState.OPEN, "7.4.5")),))
    assert first in reopened.open_entries


def test_the_deadline_follows_the_catalogs_own_days_from_the_first_match() -> None:
    fast = entries()["CVE-2026-73570"]  # added 2026-08-21, 3 days (BOD 26-04)
    assert cisa_days(fast) == 3
    slow = entries()["CVE-2019-19781"]  # 181 days in the catalog: the plan's 30 at most
    match = ProductMatch(
        product("Zimbra", category="email"),
        (fast, slow),
        first_matched=(
            ("CVE-2026-73570", date(2026, 12, 1)),
            ("CVE-2019-19781", date(2026, 11, 20)),
        ),
    )
    # 3 days from Dec 1 (CISA's days for it) comes before 30 from Nov 20 (the plan's cap).
    assert match.deadline() == date(2026, 12, 4)
    inside = replace(match, product=product("Zimbra", category="email", facing=False))
    assert inside.deadline() is None  # not facing the internet: the plan's window


def test_end_of_life_entries_and_compromise_checks_are_read_from_the_catalog() -> None:
    assert says_end_of_life(entries()["CVE-2019-16057"])  # DNS-320: "is end-of-life"
    assert not says_end_of_life(entries()["CVE-2020-25506"])  # DNS-320: "apply updates"
    assert not says_end_of_life(entries()["CVE-2025-53770"])  # SharePoint: only old versions
    assert asks_for_compromise_check(entries()["CVE-2025-0282"])  # Ivanti: hunt activities
    assert asks_for_compromise_check(entries()["CVE-2023-4966"])  # Citrix Bleed: sessions
    assert asks_for_compromise_check(entries()["CVE-2025-20333"])  # ASA: ED 25-03
    assert not asks_for_compromise_check(entries()["CVE-2020-25506"])
    assert (
        advisory_url(entries()["CVE-2024-23113"]) == "https://www.fortiguard.com/psirt/FG-IR-24-029"
    )
    assert advisory_url(entries()["CVE-2019-19781"]) is None  # only NVD in its notes


def test_an_exposed_edge_device_is_checked_for_a_break_in_before_the_patch(
    questionnaire: Questionnaire,
) -> None:
    vpn = ProductMatch(
        product("Ivanti Connect Secure", version="22.7R2.4"),
        (entries()["CVE-2025-22457"], entries()["CVE-2025-0282"]),
    )
    plan = _plan(questionnaire, [vpn])
    kinds = [a.kind for a in plan.actions if a.kind in ("check", "patch")]
    assert kinds == ["check", "patch"]
    check = next(a for a in plan.actions if a.kind == "check")
    assert check.products == (vpn,)
    assert (
        check.critical
        and check.this_week
        and "break-in" in check.action.title
        and "cisa.gov/report" in check.action.detail
    )
    # Never a reason to leave an exploited device unpatched: "cannot tell" means act now.
    assert "If you cannot tell, do not wait: patch now" in " ".join(check.action.detail.split())
    # Found signs of a break-in: not just a patch (it wipes the evidence, the intruder stays).
    assert "do not just patch: cut the device off" in " ".join(check.action.detail.split())
    assert "before fixes came out" not in check.action.detail


def test_a_check_is_asked_for_by_the_entry_not_by_cisa_s_standard_wording() -> None:
    """Since BOD 26-04 every new entry names CISA's "Forensics Triage Requirements": that alone
    asks for no check (it did for 57 entries, Windows desktops among them)."""
    standard = [e for e in entries().values() if "Forensics Triage" in e.required_action]
    assert len(standard) > 20
    assert not [e.cve_id for e in standard if asks_for_compromise_check(e)]
    desktop = ProductMatch(
        product("Zimbra", category="email", facing=False),
        tuple(standard[:3]),
    )
    assert desktop.check_first == ()


def test_end_of_life_is_replace_or_isolate_and_a_line_keeps_its_last_patch(
    questionnaire: Questionnaire,
) -> None:
    """A device CISA calls end of life: Replace or cut off, no Patch. A firmware line past its
    support: one step, the move to a supported release (it is the patch). An operating system
    or server line past its support: its last updates now (they fix most listed flaws) and,
    beside it, the replacement — critical where ransomware gangs use its flaws."""
    snapshot = load_snapshot()
    nas = ProductMatch(
        product(
            "D-Link DNS-320", category="backup", facing=True, family="kev:d-link|model dns-320"
        ),
        (entries()["CVE-2019-16057"], entries()["CVE-2020-25506"]),
    )
    windows = tuple(e for e in entries().values() if e.product == "Windows")[:5]
    assert any(e.known_ransomware for e in windows)
    server = ProductMatch(
        product("Windows Server 2012 R2", category="servers", facing=False),
        windows,
        support=snapshot.status("microsoft-windows", "Windows Server 2012 R2", "", TODAY),
    )
    exchange = ProductMatch(
        product("Exchange 2016", category="email", version="CU23"),
        (entries()["CVE-2023-21529"],),
        support=snapshot.status("microsoft-exchange", "Exchange 2016", "CU23", TODAY),
    )
    firewall = ProductMatch(
        product("FortiGate", version="7.0.12"),
        (entries()["CVE-2024-21762"],),
        support=snapshot.status("fortinet-fortios", "FortiGate", "7.0.12", TODAY),
    )
    plan = _plan(questionnaire, [nas, server, exchange, firewall])
    titles = [a.action.title for a in plan.actions if a.kev]
    patched = {t.split(":")[0].removeprefix("Patch ") for t in titles if t.startswith("Patch")}
    assert patched == {"Windows Server 2012 R2", "Exchange 2016"}, titles
    assert "Replace or cut off D-Link DNS-320: it gets no more security fixes" in titles
    assert "Replace or cut off Microsoft Exchange 2016: it gets no more security fixes" in titles
    assert (
        "Replace or cut off Microsoft Windows Server 2012 R2: it gets no more security fixes"
        in titles
    )
    assert "Move FortiGate to a supported release: no more fixes for yours" in titles
    by_name = {a.kev.product.name: a for a in plan.actions if a.kind == "replace" and a.kev}
    assert by_name["Exchange 2016"].critical and by_name["D-Link DNS-320"].critical
    assert by_name["FortiGate"].critical
    # Inside the network, but ransomware gangs use its flaws: critical, both steps.
    assert by_name["Windows Server 2012 R2"].critical
    windows_patch = next(a for a in plan.actions if a.kind == "patch" and a.kev and a.kev is server)
    assert windows_patch.critical and "install the last one now" in windows_patch.action.detail
    assert "Oct 10, 2023" in by_name["Windows Server 2012 R2"].action.detail
    assert "FortiOS 7.4" in by_name["FortiGate"].action.detail  # a supported line named
    # Nothing false about the listed flaws: later releases of a line fix most of them.
    for action in by_name.values():
        assert "will not be fixed" not in action.action.detail.replace("from now on will not", "")
    # The only firewall cannot simply leave the internet.
    assert "take it off the internet" not in by_name["FortiGate"].action.detail
    assert "only from known addresses" in by_name["FortiGate"].action.detail


def test_an_old_entry_s_end_of_life_does_not_retire_a_whole_product_line() -> None:
    """CVE-2014-0196 (an old Linux kernel) says its product is end of life: that is not Ubuntu
    22.04. A device model's family reads the description too (DIR-859)."""
    kernel = ProductMatch(
        product("Ubuntu 22.04", category="servers", family="linux-kernel"),
        (entries()["CVE-2014-0196"], entries()["CVE-2010-3904"]),
    )
    assert not kernel.replace and kernel.open_entries
    router = ProductMatch(
        product("D-Link DIR-859", family="kev:d-link|model dir-859"),
        (entries()["CVE-2024-0769"], entries()["CVE-2019-17621"]),
    )
    assert router.replace and router.end_of_life_entries == (entries()["CVE-2024-0769"],)


def test_a_default_password_flaw_is_closed_by_changing_the_password(
    questionnaire: Questionnaire,
) -> None:
    plc = ProductMatch(
        product("Unitronics Vision PLC and HMI", category="control_systems"),
        (entries()["CVE-2023-6448"],),
    )
    plan = _plan(questionnaire, [plc])
    action = next(a for a in plan.actions if a.kev is plc)
    assert action.action.title.startswith("Change the default password on ")
    assert action.action.detail.startswith("The flaw is the password itself: change it now")
    assert "install the fix" not in action.action.detail
    assert action.action.quick and action.action.due_within == 30


def test_a_best_answer_organization_with_every_match_settled_has_no_critical_action(
    questionnaire: Questionnaire,
) -> None:
    done = settled(TriageState.FIXED, "7.4.5")
    vpn = ProductMatch(
        product("FortiGate", version="7.4.5"),
        (entries()["CVE-2024-21762"], entries()["CVE-2022-42475"]),
        triage=(("CVE-2024-21762", done), ("CVE-2022-42475", done)),
        support=load_snapshot().status("fortinet-fortios", "FortiGate", "7.4.5", TODAY),
    )
    plan = _plan(questionnaire, [vpn])
    assert not [a for a in plan.actions if a.critical]
    assert not [a for a in plan.actions if a.kev]


def test_the_portals_own_words_read_at_grade_9_or_below(questionnaire: Questionnaire) -> None:
    snapshot = load_snapshot()
    matches = [
        ProductMatch(
            product("Ivanti Connect Secure", version="22.7R2.4"),
            (entries()["CVE-2025-0282"],),
        ),
        ProductMatch(
            product("FortiGate", version="7.0.12"),
            (entries()["CVE-2024-21762"],),
            support=snapshot.status("fortinet-fortios", "FortiGate", "7.0.12", TODAY),
        ),
        ProductMatch(
            product("D-Link DNS-320", category="backup", family="kev:d-link|model dns-320"),
            (entries()["CVE-2019-16057"],),
        ),
        ProductMatch(
            product("Unitronics Vision PLC and HMI", category="control_systems"),
            (entries()["CVE-2023-6448"],),
        ),
        ProductMatch(
            product("ScreenConnect", category="remote_support", facing=False, version="23.9.7"),
            (entries()["CVE-2024-1709"], entries()["CVE-2024-1708"]),
        ),
    ]
    plan = _plan(questionnaire, matches)
    texts = [t for a in plan.actions if a.kind for t in (a.action.title, a.action.detail)]
    texts += [plain_kind(e) for e in entries().values()]
    too_hard = [
        f"{textstat.flesch_kincaid_grade(t):.1f} {t}"
        for t in set(texts)
        if textstat.flesch_kincaid_grade(t) > 9.0
    ]
    assert not too_hard, "\n".join(too_hard)


def _plan(questionnaire: Questionnaire, matches: list[ProductMatch]):  # type: ignore[no-untyped-def]
    modules = list(questionnaire.modules_for(["hospital"]))
    answers = answers_for(questionnaire, "hospital", "yes")
    result = score_assessment(questionnaire, modules, answers)
    return build_plan(
        questionnaire,
        result,
        sectors=["hospital"],
        ownership="public",
        today=TODAY,
        exploited=matches,
    )
