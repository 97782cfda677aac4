"""Each sector's own reference, item by item, and the questions that cover it.

The items are the sector references the team works from (shared/reference/frameworks.md):
HHS's HPH cybersecurity performance goals and the 405(d) HICP practices for hospitals; the
CISA/EPA/FBI top cyber actions, AWIA and the EPA checklist for water; the FFIEC domains, the CRI
Profile, R-SAT and the GLBA Interagency Guidelines for banks; DOE C2M2, NRECA's goals and NERC
CIP-003 for electric utilities. :func:`markdown` writes the table published in
questionnaires/README.md (a test keeps the two equal).
"""

from __future__ import annotations

from collections.abc import Mapping

from portal.questionnaire.model import Questionnaire
from portal.questionnaire.words import N_, _

CSF2_NAMES = {
    "GV.OC": "organizational context",
    "GV.RM": "risk management strategy",
    "GV.RR": "roles, responsibilities and authorities",
    "GV.PO": "policy",
    "GV.OV": "oversight",
    "GV.SC": "supply chain risk management",
    "ID.AM": "asset management",
    "ID.RA": "risk assessment",
    "ID.IM": "improvement",
    "PR.AA": "identity management, authentication and access control",
    "PR.AT": "awareness and training",
    "PR.DS": "data security",
    "PR.PS": "platform security",
    "PR.IR": "technology infrastructure resilience",
    "DE.CM": "continuous monitoring",
    "DE.AE": "adverse event analysis",
    "RS.MA": "incident management",
    "RS.AN": "incident analysis",
    "RS.CO": "incident response reporting and communication",
    "RS.MI": "incident mitigation",
    "RC.RP": "incident recovery plan execution",
    "RC.CO": "incident recovery communication",
}

REFERENCES: dict[str, dict[str, str]] = {
    "hospital": {
        "HPH-E1": "HPH essential 1: mitigate known vulnerabilities",
        "HPH-E2": "HPH essential 2: email security",
        "HPH-E3": "HPH essential 3: multifactor authentication",
        "HPH-E4": "HPH essential 4: basic cybersecurity training",
        "HPH-E5": "HPH essential 5: strong encryption",
        "HPH-E6": "HPH essential 6: revoke credentials of departing staff",
        "HPH-E7": "HPH essential 7: basic incident planning and preparedness",
        "HPH-E8": "HPH essential 8: unique credentials",
        "HPH-E9": "HPH essential 9: separate user and privileged accounts",
        "HPH-E10": "HPH essential 10: vendor/supplier cybersecurity requirements",
        "HPH-X1": "HPH enhanced 1: asset inventory",
        "HPH-X2": "HPH enhanced 2: third-party vulnerability disclosure",
        "HPH-X3": "HPH enhanced 3: third-party incident reporting",
        "HPH-X4": "HPH enhanced 4: cybersecurity testing",
        "HPH-X5": "HPH enhanced 5: cybersecurity mitigation",
        "HPH-X6": "HPH enhanced 6: detect and respond to relevant threats",
        "HPH-X7": "HPH enhanced 7: network segmentation",
        "HPH-X8": "HPH enhanced 8: centralized log collection",
        "HPH-X9": "HPH enhanced 9: centralized incident planning and preparedness",
        "HPH-X10": "HPH enhanced 10: configuration management",
        "HICP-1": "405(d) HICP 1: email protection",
        "HICP-2": "405(d) HICP 2: endpoint protection",
        "HICP-3": "405(d) HICP 3: access management",
        "HICP-4": "405(d) HICP 4: data protection and loss prevention",
        "HICP-5": "405(d) HICP 5: asset management",
        "HICP-6": "405(d) HICP 6: network management",
        "HICP-7": "405(d) HICP 7: vulnerability management",
        "HICP-8": "405(d) HICP 8: security operations and incident response",
        "HICP-9": "405(d) HICP 9: network-connected medical devices",
        "HICP-10": "405(d) HICP 10: cybersecurity oversight and governance",
    },
    "water": {
        "WTR-TOP1": "Top action 1: reduce exposure to the internet",
        "WTR-TOP2": "Top action 2: regular cybersecurity assessments",
        "WTR-TOP3": "Top action 3: change default passwords",
        "WTR-TOP4": "Top action 4: OT/IT asset inventory",
        "WTR-TOP5": "Top action 5: incident response and recovery plans",
        "WTR-TOP6": "Top action 6: back up OT/IT systems",
        "WTR-TOP7": "Top action 7: reduce exposure to vulnerabilities",
        "WTR-TOP8": "Top action 8: cybersecurity awareness training",
        "AWIA-2013": "AWIA §2013: risk and resilience assessment covering cyber",
        "EPA-CHECKLIST": "EPA cybersecurity checklist for water systems",
    },
    "bank": {
        "GLBA-IG": "GLBA Interagency Guidelines (NCUA Part 748): written program, board report",
        "FFIEC-D1": "FFIEC domain 1: cyber risk management and oversight",
        "FFIEC-D2": "FFIEC domain 2: threat intelligence and collaboration",
        "FFIEC-D3": "FFIEC domain 3: cybersecurity controls",
        "FFIEC-D4": "FFIEC domain 4: external dependency management",
        "FFIEC-D5": "FFIEC domain 5: incident management and resilience",
        "RSAT": "CSBS Ransomware Self-Assessment Tool",
        # The CRI Profile v2 is organised by NIST CSF 2.0's categories, plus two of its own.
        **{f"CRI-{cat}": f"CRI Profile {cat}: {name}" for cat, name in CSF2_NAMES.items()},
        "CRI-GV.IR": "CRI Profile GV.IR: independent risk management function",
        "CRI-GV.AU": "CRI Profile GV.AU: independent audit function",
    },
    "electric": {
        "NERC-CIP-003": "NERC CIP-003: low-impact BES duties (registered utilities)",
        "C2M2-ASSET": "C2M2 ASSET: asset, change and configuration management",
        "C2M2-THREAT": "C2M2 THREAT: threat and vulnerability management",
        "C2M2-RISK": "C2M2 RISK: risk management",
        "C2M2-ACCESS": "C2M2 ACCESS: identity and access management",
        "C2M2-SITUATION": "C2M2 SITUATION: situational awareness",
        "C2M2-RESPONSE": "C2M2 RESPONSE: event and incident response, continuity",
        "C2M2-THIRD-PARTIES": "C2M2 THIRD-PARTIES: third-party risk management",
        "C2M2-WORKFORCE": "C2M2 WORKFORCE: workforce management",
        "C2M2-ARCHITECTURE": "C2M2 ARCHITECTURE: cybersecurity architecture",
        "C2M2-PROGRAM": "C2M2 PROGRAM: cybersecurity program management",
        "NRECA": "NRECA co-op cyber goals",
    },
}


def covering(questionnaire: Questionnaire) -> dict[str, list[str]]:
    """Reference item → the ids of the questions (core or sector) that cite it. A core or bank
    question citing a CSF 2.0 category covers the CRI Profile category of the same name."""
    found: dict[str, list[str]] = {}
    for module in questionnaire.modules:
        for question in module.questions():
            items = list(question.refs.sector)
            if module.id in ("core", "bank"):
                items += [f"CRI-{cat}" for cat in question.refs.csf2]
            for item in dict.fromkeys(items):
                found.setdefault(item, []).append(question.id)
    return found


def markdown(questionnaire: Questionnaire) -> str:
    """The coverage table of questionnaires/README.md."""
    found = covering(questionnaire)
    lines = ["| sector | reference item | questions |", "| --- | --- | --- |"]
    for sector, items in REFERENCES.items():
        for item, label in items.items():
            ids = found.get(item, [])
            cell = ", ".join(f"`{qid}`" for qid in ids) if ids else "**not covered**"
            lines.append(f"| {sector} | {label} | {cell} |")
    return "\n".join(lines)


# A regime that binds only some organizations of its sector: the profile answer that says so.
APPLIES_WHEN = {"NERC-CIP-003": ("electric.nerc_registered", "yes")}
# The reference as shown when it does not bind the organization (``%(item)s``: its id).
NOT_APPLICABLE_WHY = {"NERC-CIP-003": N_("%(item)s (not applicable: not registered with NERC)")}


def sector_of(item: str) -> str | None:
    """The sector whose reference ``item`` is ("HICP-7" → hospital, "CRI-PR.AA" → bank)."""
    if item.startswith("CRI-"):
        return "bank"
    return next((sector for sector, items in REFERENCES.items() if item in items), None)


def sector_references(
    item_ids: tuple[str, ...] | list[str],
    sectors: tuple[str, ...] | list[str],
    profile: Mapping[str, str | None],
) -> list[str]:
    """A question's sector references as one organization reads them: only its own sectors'
    (a core question cites HICP for hospitals and C2M2 for utilities alike), and a regime that
    does not bind it marked so ("NERC-CIP-003 (not applicable: not registered with NERC)")."""
    shown = []
    for item in item_ids:
        if sector_of(item) not in sectors:
            continue
        condition = APPLIES_WHEN.get(item)
        if condition is not None and profile.get(condition[0]) != condition[1]:
            shown.append(_(NOT_APPLICABLE_WHY[item], item=item))
        else:
            shown.append(item)
    return shown
