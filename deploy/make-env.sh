#!/bin/sh
# Writes the portal's settings for a new server to standard output, from portal.env.example with
# every secret made here at random: SECRET_KEY, METRICS_TOKEN, MFA_SECRET_KEYS, and the passwords
# of the PostgreSQL role and of Redis inside DATABASE_URL and REDIS_URL (docs/deploy.md uses them
# to create the role and to configure Redis). The mail settings stay the example's: edit them, or
# delete the MAIL_ lines to run without mail — production refuses to start with an example value.
#   deploy/make-env.sh readiness.state.example.gov > /etc/readiness-portal/portal.env
set -eu
host=${1:?usage: make-env.sh HOST-NAME, the address of the portal without https://}
here=$(dirname "$0")
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(36))'; }
hex() { python3 -c 'import secrets; print(secrets.token_hex(32))'; }
fernet() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
db_password=$(random)
redis_password=$(random)
secret_key=$(hex)
sed \
  -e "s|^SECRET_KEY=.*|SECRET_KEY=$secret_key|" \
  -e "s|^METRICS_TOKEN=.*|METRICS_TOKEN=$(random)|" \
  -e "s|^DATABASE_URL=.*|DATABASE_URL=postgresql://portal:$db_password@127.0.0.1:5432/portal|" \
  -e "s|^REDIS_URL=.*|REDIS_URL=redis://:$redis_password@127.0.0.1:6379/0|" \
  -e "s|^PORTAL_BASE_URL=.*|PORTAL_BASE_URL=https://$host|" \
  "$here/portal.env.example"
echo "MFA_SECRET_KEYS=$(fernet)"
