"""A status machine as data: which action leads from which status to which, and what to tell a
person when a move is not allowed. Each owner of a status (an assessment's in
``assessments.lifecycle``, a tool request's in ``toolrequests.service``) keeps one table."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class TransitionTable:
    moves: Mapping[tuple[str, str], str]  # (current status, action) -> new status
    refusals: Mapping[str, str]  # action -> why not, with {status}
    refused: type[Exception]  # what a refused move raises (the owner's own error)

    def next_status(self, status: str, action: str) -> str:
        new = self.moves.get((status, action))
        if new is None:
            template = self.refusals.get(action, "Unknown action {action!r}.")
            raise self.refused(template.format(status=status, action=action))
        return new
