"""a person's language and an organization's preferred language (#35): None for a person who
has not chosen (their organization's, else the browser's); English for every organization so far

Revision ID: 0017_language
Revises: 0016_county_fips
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0017_language"
down_revision = "0016_county_fips"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("users", sa.Column("language", sa.String(8), nullable=True))
    op.add_column(
        "organizations",
        sa.Column("language", sa.String(8), nullable=False, server_default="en"),
    )


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("language")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
