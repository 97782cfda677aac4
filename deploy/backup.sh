#!/usr/bin/env bash
# Nightly backup of the portal's PostgreSQL database: pg_dump custom format (compressed,
# restorable table by table), kept 14 days. Run as a user that can read the database, e.g.
#   15 2 * * *  /srv/readiness-portal/deploy/backup.sh postgresql://portal@db-host/portal /var/backups/readiness-portal
# Restore (into a new, empty database; then point DATABASE_URL at it):
#   createdb -h db-host -U postgres portal_restored
#   pg_restore --no-owner --dbname=postgresql://postgres@db-host/portal_restored <file>.dump
set -euo pipefail
url=${1:?database URL}
folder=${2:?backup folder}
mkdir -p "$folder"
file="$folder/portal-$(date -u +%Y%m%dT%H%M%SZ).dump"
pg_dump --format=custom --no-owner --file="$file.partial" "$url"
mv "$file.partial" "$file"
find "$folder" -name 'portal-*.dump' -mtime +14 -delete
echo "$file"
