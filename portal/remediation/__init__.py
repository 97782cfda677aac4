"""Remediation planning: gaps → ordered actions on a 30/60/90-day clock (plain Python)."""

from portal.remediation.planner import (
    FindOutTask,
    FirstStep,
    Plan,
    PlannedAction,
    ToolMatch,
    build_plan,
)

__all__ = ["FindOutTask", "FirstStep", "Plan", "PlannedAction", "ToolMatch", "build_plan"]
