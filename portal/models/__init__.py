"""All models, imported here so that metadata (and Alembic) sees every table."""

import sqlalchemy as sa
from sqlalchemy import orm

from portal.models.accounts import (
    INVITATION_LIFETIME,
    TOKEN_LIFETIMES,
    AccountToken,
    Invitation,
    LoginAttempt,
    RecoveryCode,
    Role,
    SecondFactor,
    TokenPurpose,
    UsedChallenge,
    User,
    UserSession,
    coordinator_jurisdictions,
    hash_token,
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
from portal.models.kev import (
    INVENTORY_CATEGORIES,
    InventoryItem,
    KevEntry,
    KevEntryFamily,
    KevFamilyName,
    KevImport,
    KevTriage,
)
from portal.models.mail import DigestItem, NotificationPreference, OutboxMessage, OutboxStatus
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

# Whether the person's organization requires a second factor of its operators: read with the
# user in the same query (the check runs on every request; a separate query would add one to
# every page). Declared here, where both tables are mapped.
User.organization_requires_second_factor = orm.column_property(  # type: ignore[assignment]
    sa.select(Organization.require_second_factor)
    .where(Organization.id == User.organization_id)
    .correlate_except(Organization)
    .scalar_subquery()
)

__all__ = [
    "EDITABLE_STATUSES",
    "INVENTORY_CATEGORIES",
    "INVITATION_LIFETIME",
    "OWNERSHIP_LABELS",
    "SECTOR_LABELS",
    "SIZE_LABELS",
    "TOKEN_LIFETIMES",
    "AccountToken",
    "Answer",
    "Assessment",
    "AssessmentCriticalGap",
    "AssessmentPriorityScore",
    "AssessmentStatus",
    "AuditEvent",
    "Base",
    "DigestItem",
    "InventoryItem",
    "Invitation",
    "Jurisdiction",
    "JurisdictionCounty",
    "KevEntry",
    "KevEntryFamily",
    "KevFamilyName",
    "KevImport",
    "KevTriage",
    "LoginAttempt",
    "NotificationPreference",
    "Organization",
    "OrganizationSector",
    "OutboxMessage",
    "OutboxStatus",
    "Ownership",
    "PendingSave",
    "QuestionnaireVersion",
    "RecoveryCode",
    "ReviewComment",
    "Role",
    "SecondFactor",
    "SizeBand",
    "StatusChange",
    "TokenPurpose",
    "ToolRequest",
    "ToolRequestItem",
    "ToolRequestStatus",
    "UsedChallenge",
    "User",
    "UserSession",
    "coordinator_jurisdictions",
    "hash_token",
    "name_key",
    "normalise_county",
    "utcnow",
]
