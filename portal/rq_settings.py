"""Settings for the portal's RQ workers::

    rq worker -c portal.rq_settings -w portal.worker.Worker QUEUE

It sets the Redis address (REDIS_URL, or the file REDIS_URL_FILE names: never on the command
line, where every local user could read its password in the process list); loading the
portal is the rest of the point. RQ imports a settings module in the worker's main
process, and runs each job in a process forked from it: with the portal's code already loaded
there (the app factory, WeasyPrint), a job starts working at once instead of importing it all
again — ~0.9 s for a PDF render, ~1.9 s plus building the app for a mail delivery, each time
(bench/RESULTS.md). The app itself is still built in the job's process: its database pool must
not be shared across the fork.
"""

from __future__ import annotations

import os

# Loaded for the jobs forked from this process.
import portal.reports.pdf
import portal.worker  # noqa: F401
from portal.config import with_secret_files

REDIS_URL = with_secret_files(os.environ).get("REDIS_URL")
