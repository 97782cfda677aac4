"""inventory items remember when a person chose their product family from the suggestions, so
a later catalog import re-matches only what the portal matched by name

Revision ID: 0014_family_picked
Revises: 0013_kev_triage
Create Date: 2026-12-06

Existing items count as matched by name (the flag is false): the next import looks each up
again with the lookup the portal uses today (a model number kept: "SMA 1000" is not the SMA
100), which repairs items matched before a family was split.
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_family_picked"
down_revision = "0013_kev_triage"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("inventory_items") as batch:
        batch.add_column(
            sa.Column("family_picked", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch.create_index("ix_inventory_items_vendor_product", ["vendor", "product"])


def downgrade():
    with op.batch_alter_table("inventory_items") as batch:
        batch.drop_index("ix_inventory_items_vendor_product")
        batch.drop_column("family_picked")
