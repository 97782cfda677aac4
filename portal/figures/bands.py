"""The score bands of the dashboards, the queue filter and their CSV files, defined once.

They follow the tiers (At risk < 40 ≤ Developing < 70 ≤ Established < 90 ≤ Advanced).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ScoreBand:
    key: str  # in URLs and CSV headers: plain ASCII
    low: int
    high: int

    @property
    def label(self) -> str:  # on pages: with an en dash
        return f"{self.low}–{self.high}"

    def holds(self, score: int) -> bool:
        return self.low <= score <= self.high


SCORE_BANDS = (
    ScoreBand("0-39", 0, 39),
    ScoreBand("40-69", 40, 69),
    ScoreBand("70-89", 70, 89),
    ScoreBand("90-100", 90, 100),
)
BY_KEY = {band.key: band for band in SCORE_BANDS}
