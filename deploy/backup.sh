#!/usr/bin/env bash
# Nightly backup of the portal's PostgreSQL database: pg_dump custom format (compressed,
# restorable table by table), kept 14 days, readable by its owner only. The database comes from
# DATABASE_URL in the environment (readiness-portal-backup.service reads the settings file); its
# password goes to pg_dump as PGPASSWORD, never on a command line where `ps` would show it:
#   DATABASE_URL=postgresql://portal:…@db-host/portal deploy/backup.sh /var/backups/readiness-portal
# Restore (into a new, empty database; then point DATABASE_URL at it):
#   createdb -h db-host -U postgres portal_restored
#   pg_restore --no-owner --dbname=postgresql://postgres@db-host/portal_restored <file>.dump
set -euo pipefail
umask 077
folder=${1:?backup folder}
: "${DATABASE_URL:?DATABASE_URL is not set}"
# The URL without its password, and the password apart (for PGPASSWORD).
split() {
  python3 - "$1" <<'PY'
import os, sys, urllib.parse as parse
url = parse.urlsplit(os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://"))
host = url.netloc.rpartition("@")[2]
user = f"{url.username}@" if url.username else ""
print(parse.unquote(url.password or "") if sys.argv[1] == "password"
      else parse.urlunsplit(("postgresql", user + host, url.path, url.query, "")))
PY
}
url=$(split url)
PGPASSWORD=$(split password)
export PGPASSWORD
mkdir -p "$folder"
file="$folder/portal-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --file="$file.partial" "$url"
mv "$file.partial" "$file"
find "$folder" -name 'portal-*.dump' -mtime +14 -delete
echo "$file"
