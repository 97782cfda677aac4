"""End of support read from what people type (portal/kev/lifecycle.py, data/eol/): the right
release line where the words name one, "unknown" where they do not — never a guess. The strings
are ones people really type, gathered by the #27 review."""

from __future__ import annotations

from datetime import date

import pytest

from portal.kev.lifecycle import load_snapshot, typed_words

TODAY = date(2026, 12, 6)


@pytest.mark.parametrize(
    ("family", "product", "version", "line", "state"),
    [
        ("fortinet-fortios", "FortiGate", "v7.0.12,build0523 (GA)", "FortiOS 7.0", "unsupported"),
        ("fortinet-fortios", "FortiGate", "7.4.5", "FortiOS 7.4", "supported"),
        ("paloalto-pan-os", "PAN-OS", "10.2.9-h1", "PAN-OS 10.2", None),
        ("vmware-esxi", "ESXi", "6.7.0 Update 3", "VMware ESXi 6.7", "unsupported"),
        ("microsoft-exchange", "Exchange 2016", "CU23", "Exchange 2016", "unsupported"),
        ("microsoft-windows", "Windows Server 2012 R2", "", "Windows Server 2012 R2", None),
        # Written together or without "Server": still 2012 R2.
        ("microsoft-windows", "Windows Server 2012R2", "", "Windows Server 2012 R2", None),
        ("microsoft-windows", "Windows 2012 R2", "", "Windows Server 2012 R2", None),
        ("microsoft-windows", "Windows Server 2019 Standard", "", "Windows Server 2019", None),
        # Cisco pads its versions with zeros; endoflife.date does not.
        ("cisco-ios-xe", "IOS XE", "17.03.04a", "Cisco IOS XE 17.3", None),
        # SQL Server's lines are numbers (12.0); people type the year on its label.
        ("kev:microsoft|sql server", "SQL Server 2014 SP3", "", "SQL Server 2014 SP3", "extended"),
        ("kev:microsoft|sql server", "SQL Server 2012", "", "SQL Server 2012", "unsupported"),
        ("linux-kernel", "Ubuntu", "22.04", "Ubuntu 22.04", None),
    ],
)
def test_the_typed_words_name_their_line(
    family: str, product: str, version: str, line: str, state: str | None
) -> None:
    status = load_snapshot().status(family, product, version, TODAY)
    assert status is not None
    assert status.state != "unknown", (product, version)
    assert status.line.endswith(line) or status.line.startswith(f"Microsoft {line} /"), status.line
    if state is not None:
        assert status.state == state


@pytest.mark.parametrize(
    ("family", "product", "version"),
    [
        ("microsoft-windows", "Windows 10", ""),  # editions end years apart
        ("fortinet-fortios", "FortiGate", ""),  # no version written down
        # 2014 SP3 is in paid extended support, the earlier service packs are not.
        ("kev:microsoft|sql server", "SQL Server 2014", ""),
    ],
)
def test_what_does_not_name_one_line_is_unknown(family: str, product: str, version: str) -> None:
    status = load_snapshot().status(family, product, version, TODAY)
    assert status is not None and status.state == "unknown" and status.line == ""


def test_a_family_the_snapshot_does_not_cover_gets_no_answer() -> None:
    assert (
        load_snapshot().status("connectwise-screenconnect", "ScreenConnect", "23.9.8", TODAY)
        is None
    )


def test_letters_and_digits_written_together_are_read_apart() -> None:
    assert {"2012r2", "2012", "r2"} <= typed_words("Windows Server 2012R2")


def test_the_snapshot_is_dated_and_named_in_the_answer() -> None:
    status = load_snapshot().status("fortinet-fortios", "FortiGate", "7.0.12", TODAY)
    assert status is not None and status.snapshot == date(2026, 8, 22)
    assert status.supported_lines and all("FortiOS" in s for s in status.supported_lines)
