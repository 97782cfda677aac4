#!/bin/sh
# Writes the settings of a new server to FILE, from portal.env.example with every secret made
# here at random: SECRET_KEY, METRICS_TOKEN, MFA_SECRET_KEYS, and the passwords of the PostgreSQL
# role and of Redis inside DATABASE_URL and REDIS_URL (docs/deploy.md reads them back to create
# the role and configure Redis). The file is made readable by root and the group portal only, and
# an existing file is never replaced: a new SECRET_KEY would end every session, a new
# MFA_SECRET_KEYS would lock every second factor out. Edit the MAIL_ lines afterwards (or delete
# them to run without mail): production refuses to start with an example value.
#   deploy/make-env.sh YOUR-HOST-NAME /etc/readiness-portal/portal.env
set -eu
host=${1:?usage: make-env.sh HOST-NAME FILE}
out=${2:?usage: make-env.sh HOST-NAME FILE}
here=$(dirname "$0")
if [ -e "$out" ]; then
  echo "make-env.sh: $out exists; it is kept (its secrets are in use)." >&2
  exit 1
fi
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(36))'; }
hex() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
fernet() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
db_password=$(random)
redis_password=$(random)
secret_key=$(hex)
umask 027
{
  sed \
    -e "s|^SECRET_KEY=.*|SECRET_KEY=$secret_key|" \
    -e "s|^METRICS_TOKEN=.*|METRICS_TOKEN=$(random)|" \
    -e "s|^DATABASE_URL=.*|DATABASE_URL=postgresql://portal:$db_password@127.0.0.1:5432/portal|" \
    -e "s|^REDIS_URL=.*|REDIS_URL=redis://:$redis_password@127.0.0.1:6379/0|" \
    -e "s|^PORTAL_BASE_URL=.*|PORTAL_BASE_URL=https://$host|" \
    "$here/portal.env.example"
  echo "MFA_SECRET_KEYS=$(fernet)"
} > "$out"
if getent group portal >/dev/null 2>&1; then chgrp portal "$out"; fi
echo "$out written (mode $(stat -c %a "$out")); keep a copy with your backups." >&2
