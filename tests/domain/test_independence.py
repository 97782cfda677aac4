"""The domain core is plain Python: importing it loads neither Flask nor SQLAlchemy."""

from __future__ import annotations

import subprocess
import sys


def test_domain_core_imports_no_web_or_database_code() -> None:
    code = (
        "import sys\n"
        "import portal.questionnaire, portal.scoring, portal.remediation, portal.kev.products\n"
        "from portal.kev.catalog import SNAPSHOT, parse_catalog\n"
        "parse_catalog(SNAPSHOT.read_bytes())\n"
        "from portal.questionnaire import load_directory\n"
        "from portal.scoring import score_assessment\n"
        "from portal.remediation import build_plan\n"
        "import portal.remediation.document\n"
        "q = load_directory('questionnaires')\n"
        "r = score_assessment(q, q.modules_for(['bank']), {})\n"
        "build_plan(q, r, sectors=['bank'], ownership='private')\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('flask', 'sqlalchemy',"
        " 'werkzeug', 'flask_sqlalchemy'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=__file__.rsplit("/tests/", 1)[0],
    )
    assert out.stdout.strip() == ""
