"""The compose deployment as a reviewer reads it (no image registry is reachable here to run it
whole; tests/test_container.py runs the portal's image itself): every service the portal needs,
the portal's containers read-only with their secrets as files, data in named volumes, nginx
answering only its own host, and secrets read from files by the portal."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from portal.config import ConfigError, from_environment, with_secret_files

COMPOSE = Path(__file__).resolve().parent.parent / "deploy" / "compose"
SH = shutil.which("sh") or "/bin/sh"


def test_compose_runs_every_part_read_only_with_secrets_as_files() -> None:
    compose = yaml.safe_load((COMPOSE / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "redis", "migrate", "web", "worker", "jobs", "nginx"}
    for name in ("migrate", "web", "worker", "jobs"):
        service = services[name]
        assert service["read_only"] is True and service["tmpfs"] == ["/tmp"], name  # noqa: S108
        environment = service["environment"]
        for secret in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY", "MFA_SECRET_KEYS"):
            assert secret not in environment and environment[f"{secret}_FILE"].startswith(
                "/run/secrets/"
            ), (name, secret)
        assert service["volumes"] == ["portal-data:/var/lib/portal"]
    assert services["web"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["worker"]["command"][-2:] == ["portal-pdf", "portal-mail"]
    assert "--url" not in services["worker"]["command"]  # no password in the process list
    assert all(spec["file"].startswith("./secrets/") for spec in compose["secrets"].values())
    assert set(compose["volumes"]) == {"db-data", "redis-data", "portal-data"}
    assert "requirepass" in services["redis"]["command"][-1] and "ports" not in services["redis"]
    assert "ports" not in services["db"] and services["nginx"]["ports"] == ["127.0.0.1:8080:8080"]
    for name in ("migrate", "web", "worker", "jobs"):
        assert services[name]["cap_drop"] == ["ALL"], name
    # nginx gets the host name of portal.env (its template fills in nothing else).
    nginx_service = services["nginx"]
    assert nginx_service["env_file"] == "portal.env"
    assert nginx_service["environment"]["NGINX_ENVSUBST_FILTER"] == "^PORTAL_HOST$$"
    example = (COMPOSE / "portal.env.example").read_text(encoding="utf-8")
    assert "\nPORTAL_HOST=" in example and "\nPROXY_HOPS=2" in example
    nginx = (COMPOSE / "nginx.conf").read_text(encoding="utf-8")
    assert (
        "listen 8080 default_server;\n    listen [::]:8080 default_server;\n    return 444;"
        in nginx
    )


def test_make_secrets_writes_each_once(tmp_path: Path) -> None:
    folder = tmp_path / "compose"
    folder.mkdir()
    script = folder / "make-secrets.sh"
    script.write_text((COMPOSE / "make-secrets.sh").read_text(encoding="utf-8"))
    subprocess.run([SH, str(script)], check=True, capture_output=True)
    secrets = folder / "secrets"
    first = {p.name: p.read_text() for p in secrets.iterdir()}
    assert len(first["secret_key"].strip()) >= 48 and first["mail_password"] == ""
    assert first["database_url"].startswith("postgresql://portal:")
    assert oct(secrets.stat().st_mode & 0o777) == "0o700"
    subprocess.run([SH, str(script)], check=True, capture_output=True)
    assert {p.name: p.read_text() for p in secrets.iterdir()} == first  # kept


def test_secrets_come_from_files(tmp_path: Path) -> None:
    key = tmp_path / "secret_key"
    key.write_text("k" * 40 + "\n")
    config = from_environment({"SECRET_KEY_FILE": str(key)})
    assert config["SECRET_KEY"] == "k" * 40
    # Both at once, or a file that cannot be read, is one line naming it.
    with pytest.raises(ConfigError, match="SECRET_KEY and SECRET_KEY_FILE are both set"):
        with_secret_files({"SECRET_KEY": "direct", "SECRET_KEY_FILE": str(key)})
    with pytest.raises(ConfigError, match="SECRET_KEY_FILE=/nowhere/key: cannot read it"):
        with_secret_files({"SECRET_KEY_FILE": "/nowhere/key"})
