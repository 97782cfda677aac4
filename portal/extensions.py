"""Flask extensions, created here and bound to the app in :func:`portal.create_app`."""

from __future__ import annotations

from typing import Any, Literal

from flask_caching import Cache
from flask_login import LoginManager
from flask_mailman import Mail
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect

from portal.models.base import Base, UTCDateTime


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Write our UTC wrapper as a plain DateTime so migrations never import app code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime()"
    return False


db = SQLAlchemy(model_class=Base)
migrate = Migrate(compare_type=True, render_as_batch=True, render_item=_render_item)
csrf = CSRFProtect()
login_manager = LoginManager()
# Slow-changing aggregates (nationwide peer figures): in Redis when REDIS_URL is set, shared by
# every process; otherwise in each process's memory.
cache = Cache()
# Sending mail (Flask-Mailman); what to send is decided by portal.mail.
mail = Mail()
