#!/bin/sh
# Random secrets for the compose deployment, each in its own file under secrets/; an existing
# file is kept, so running it again changes nothing. The folder is the owner's alone (0700); the
# files are readable (0644) because compose hands each to its container as it is, and the
# portal runs there as its own unprivileged user.
set -eu
cd "$(dirname "$0")"
mkdir -p secrets
chmod 700 secrets
umask 022
random() { python3 -c 'import secrets; print(secrets.token_urlsafe(48))'; }
fernet() { python3 -c 'import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).decode())'; }
keep() { [ -s "secrets/$1" ] || printf '%s\n' "$2" > "secrets/$1"; }
keep db_password "$(random)"
keep redis_password "$(random)"
keep secret_key "$(random)"
keep mfa_secret_keys "$(fernet)"
keep metrics_token "$(random)"
keep database_url "postgresql://portal:$(cat secrets/db_password)@db:5432/portal"
keep redis_url "redis://:$(cat secrets/redis_password)@redis:6379/0"
# The SMTP server's password, if it wants one: write it into secrets/mail_password.
[ -e secrets/mail_password ] || : > secrets/mail_password
echo "secrets/ holds $(ls secrets | wc -l) secrets; keep a copy with your backups."
