"""known-exploited matches an operator can settle: kev_triage, and since when each product has
been matched (the start of the catalog's days for an entry)

Revision ID: 0013_kev_triage
Revises: 0012_mail_hardening
Create Date: 2026-12-06

Products already on lists count as matched since they were added (or last changed). Their
lookup names are read again without version words ("Exchange 2016 CU23" → "Exchange"), as
products typed from now on are, so the next import can match what could not be matched before.
"""

import re

import sqlalchemy as sa
from alembic import op

revision = "0013_kev_triage"
down_revision = "0012_mail_hardening"
branch_labels = None
depends_on = None

# As portal/kev/products.py reads a typed name (kept here: a migration must not change when the
# application's code does).
_VERSION_WORD = re.compile(r"^(?:v?\d[\w.-]*|r\d+|sp\d+|cu\d+|su\d+|update|version|build)$")


def _fold(text: str) -> str:
    return " ".join(re.sub(r"[\W_]+", " ", text.lower()).split())


def _match_name(vendor: str, product: str) -> str:
    tokens = product.split()
    while len(tokens) > 1 and _VERSION_WORD.match(tokens[-1].lower().strip(",;()")):
        tokens.pop()
    return _fold(f"{vendor} {' '.join(tokens)}")[:300]


def upgrade():
    op.create_table(
        "kev_triage",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("inventory_item_id", sa.Integer(), nullable=False),
        sa.Column("cve_id", sa.String(length=30), nullable=False),
        sa.Column(
            "state",
            sa.Enum(
                "open",
                "fixed",
                "mitigated",
                "not_affected",
                "end_of_life",
                name="kev_triage_state",
                native_enum=False,
                create_constraint=True,
                length=20,
            ),
            nullable=False,
        ),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("running_version", sa.String(length=60), nullable=False),
        sa.Column("item_version", sa.String(length=60), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_kev_triage_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["inventory_item_id"],
            ["inventory_items.id"],
            name=op.f("fk_kev_triage_inventory_item_id_inventory_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kev_triage")),
        sa.UniqueConstraint(
            "inventory_item_id", "cve_id", name=op.f("uq_kev_triage_inventory_item_id_cve_id")
        ),
    )
    op.create_index("ix_kev_triage_cve_id", "kev_triage", ["cve_id"], unique=False)
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("family_since", sa.DateTime(), nullable=True))
    items = sa.table(
        "inventory_items",
        sa.column("id", sa.Integer),
        sa.column("vendor", sa.String),
        sa.column("product", sa.String),
        sa.column("match_name", sa.String),
        sa.column("updated_at", sa.DateTime),
        sa.column("family_since", sa.DateTime),
    )
    op.execute(items.update().values(family_since=items.c.updated_at))
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(items.c.id, items.c.vendor, items.c.product, items.c.match_name)
    ).all()
    for item_id, vendor, product, name in rows:
        shorter = _match_name(vendor or "", product or "")
        if shorter != name:
            connection.execute(
                items.update().where(items.c.id == item_id).values(match_name=shorter)
            )


def downgrade():
    with op.batch_alter_table("inventory_items", schema=None) as batch_op:
        batch_op.drop_column("family_since")
    op.drop_index("ix_kev_triage_cve_id", table_name="kev_triage")
    op.drop_table("kev_triage")
