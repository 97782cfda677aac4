"""All models, imported here so that metadata (and Alembic) sees every table."""

from portal.models.accounts import (
    Invitation,
    LoginAttempt,
    Role,
    User,
    UserSession,
    coordinator_jurisdictions,
)
from portal.models.assessments import (
    EDITABLE_STATUSES,
    Answer,
    Assessment,
    AssessmentCriticalGap,
    AssessmentPriorityScore,
    AssessmentStatus,
    PendingSave,
    QuestionnaireVersion,
    ReviewComment,
    StatusChange,
)
from portal.models.audit import AuditEvent
from portal.models.base import Base, utcnow
from portal.models.organizations import (
    OWNERSHIP_LABELS,
    SECTOR_LABELS,
    SIZE_LABELS,
    Jurisdiction,
    JurisdictionCounty,
    Organization,
    OrganizationSector,
    Ownership,
    SizeBand,
    name_key,
    normalise_county,
)
from portal.models.requests import ToolRequest, ToolRequestItem, ToolRequestStatus

__all__ = [
    "EDITABLE_STATUSES",
    "OWNERSHIP_LABELS",
    "SECTOR_LABELS",
    "SIZE_LABELS",
    "Answer",
    "Assessment",
    "AssessmentCriticalGap",
    "AssessmentPriorityScore",
    "AssessmentStatus",
    "AuditEvent",
    "Base",
    "Invitation",
    "Jurisdiction",
    "JurisdictionCounty",
    "LoginAttempt",
    "Organization",
    "OrganizationSector",
    "Ownership",
    "PendingSave",
    "QuestionnaireVersion",
    "ReviewComment",
    "Role",
    "SizeBand",
    "StatusChange",
    "ToolRequest",
    "ToolRequestItem",
    "ToolRequestStatus",
    "User",
    "UserSession",
    "coordinator_jurisdictions",
    "name_key",
    "normalise_county",
    "utcnow",
]
