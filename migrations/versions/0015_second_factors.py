"""second factors (authenticator apps, passkeys), recovery codes, when a login last proved a
second factor and which browser it is (the account page lists one's logins), and an
organization's choice to require a second factor; codes refused in a row per person, and the
passkey challenges already answered

Revision ID: 0015_second_factors
Revises: 0014_family_picked
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0015_second_factors"
down_revision = "0014_family_picked"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "second_factors",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("secret", sa.LargeBinary(), nullable=True),
        sa.Column("last_step", sa.BigInteger(), nullable=True),
        sa.Column("credential_id", sa.LargeBinary(1024), nullable=True, unique=True),
        sa.Column("public_key", sa.LargeBinary(), nullable=True),
        sa.Column("sign_count", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(), nullable=True),
        sa.Column("last_used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_second_factors_user_id", "second_factors", ["user_id"])
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "user_id", sa.Integer(), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "used_challenges",
        sa.Column("challenge_hash", sa.String(64), primary_key=True),
        sa.Column("used_at", sa.DateTime(), nullable=False),
    )
    op.create_index("ix_used_challenges_used_at", "used_challenges", ["used_at"])
    with op.batch_alter_table("users") as batch:
        batch.add_column(
            sa.Column("second_factor_failures", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("user_sessions") as batch:
        batch.add_column(sa.Column("second_factor_at", sa.DateTime(), nullable=True))
        batch.add_column(sa.Column("user_agent", sa.String(200), nullable=True))
    with op.batch_alter_table("organizations") as batch:
        batch.add_column(
            sa.Column(
                "require_second_factor", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )


def downgrade():
    with op.batch_alter_table("organizations") as batch:
        batch.drop_column("require_second_factor")
    with op.batch_alter_table("user_sessions") as batch:
        batch.drop_column("user_agent")
        batch.drop_column("second_factor_at")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("second_factor_failures")
    op.drop_index("ix_used_challenges_used_at", "used_challenges")
    op.drop_table("used_challenges")
    op.drop_index("ix_recovery_codes_user_id", "recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_index("ix_second_factors_user_id", "second_factors")
    op.drop_table("second_factors")
