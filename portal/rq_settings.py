"""Settings for the portal's RQ workers::

    rq worker -c portal.rq_settings -w portal.worker.Worker --url "$REDIS_URL" QUEUE

It sets nothing; importing it is the point. RQ imports a settings module in the worker's main
process, and runs each job in a process forked from it: with the portal's code already loaded
there (the app factory, WeasyPrint), a job starts working at once instead of importing it all
again — ~0.9 s for a PDF render, ~1.9 s plus building the app for a mail delivery, each time
(bench/RESULTS.md). The app itself is still built in the job's process: its database pool must
not be shared across the fork.
"""

from __future__ import annotations

# Loaded for the jobs forked from this process.
import portal.reports.pdf
import portal.worker  # noqa: F401
