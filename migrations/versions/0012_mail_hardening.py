"""mail that cannot be turned against people: no secret at rest in the outbox, withdrawn
messages, reply-to, invitation delivery, unsubscribe handles

Revision ID: 0012_mail_hardening
Revises: 0011_return_snapshot
Create Date: 2026-12-06

Messages already in the outbox keep their bodies; from now on a secret link is stored without
its secret (the sender makes it at delivery). To leave no live link at rest from before, the
upgrade blanks the bodies of unsent messages that carried one and withdraws them: their people
ask again (a reset, a confirmation) or are invited again.
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0012_mail_hardening"
down_revision = "0011_return_snapshot"
branch_labels = None
depends_on = None

OLD_STATUSES = ("pending", "sending", "sent", "failed")
NEW_STATUSES = (*OLD_STATUSES, "withdrawn")
SECRET_KINDS = (
    "invitation",
    "password_reset",
    "coordinator_welcome",
    "confirm_email",
    "email_change_confirm",
)


def _status(values):
    return sa.Enum(
        *values,
        name="outbox_status",
        native_enum=False,
        create_constraint=True,
        length=20,
    )


def upgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mail_key", sa.String(length=32), nullable=True))
        batch_op.create_unique_constraint(batch_op.f("uq_users_mail_key"), ["mail_key"])
    with op.batch_alter_table("outbox_messages", schema=None, recreate="always") as batch_op:
        batch_op.add_column(sa.Column("topic", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("reply_to", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("secret_kind", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("secret_ref", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("invitation_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_messages_invitation_id_invitations"),
            "invitations",
            ["invitation_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            batch_op.f("ix_outbox_messages_invitation_id"), ["invitation_id"], unique=False
        )
        batch_op.alter_column(
            "status", existing_type=_status(OLD_STATUSES), type_=_status(NEW_STATUSES)
        )
    # Every account gets its unsubscribe handle now (new ones get it when they are made).
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("mail_key", sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update().where(users.c.id == user_id).values(mail_key=secrets.token_hex(16))
        )
    outbox = sa.table(
        "outbox_messages",
        sa.column("kind", sa.String),
        sa.column("status", sa.String),
        sa.column("body_text", sa.Text),
        sa.column("body_html", sa.Text),
        sa.column("last_error", sa.String),
    )
    op.execute(
        outbox.update()
        .where(
            outbox.c.kind.in_(SECRET_KINDS),
            outbox.c.status.in_(("pending", "sending", "failed")),
        )
        .values(
            status="withdrawn",
            body_text="",
            body_html="",
            last_error="withdrawn by an upgrade: it held a secret link",
        )
    )
    # Sent messages keep what they said, but not the secret: a copy of the table opens nothing.
    op.execute(
        outbox.update()
        .where(outbox.c.kind.in_(SECRET_KINDS), outbox.c.status == "sent")
        .values(body_text="(not kept: it held a secret link)", body_html="")
    )


def downgrade():
    outbox = sa.table("outbox_messages", sa.column("status", sa.String))
    op.execute(outbox.update().where(outbox.c.status == "withdrawn").values(status="failed"))
    with op.batch_alter_table("outbox_messages", schema=None, recreate="always") as batch_op:
        batch_op.alter_column(
            "status", existing_type=_status(NEW_STATUSES), type_=_status(OLD_STATUSES)
        )
        batch_op.drop_index(batch_op.f("ix_outbox_messages_invitation_id"))
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_messages_invitation_id_invitations"), type_="foreignkey"
        )
        batch_op.drop_column("invitation_id")
        batch_op.drop_column("secret_ref")
        batch_op.drop_column("secret_kind")
        batch_op.drop_column("reply_to")
        batch_op.drop_column("topic")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_mail_key"), type_="unique")
        batch_op.drop_column("mail_key")
