#!/usr/bin/env bash
# The restore drill, on a local PostgreSQL (user postgres, trust): fill a database, back it up
# with backup.sh, restore the dump into a new database, start the portal on the copy with
# production settings, and check that it is ready and that every answer came back.
#   deploy/restore-drill.sh [postgresql://postgres@127.0.0.1:5432]
set -euo pipefail
server=${1:-postgresql://postgres@127.0.0.1:5432}
root=$(cd "$(dirname "$0")/.." && pwd)
flask="$root/.venv/bin/flask"
work=$(mktemp -d)
source_db="drill_source_$$" restored_db="drill_restored_$$"
psql "$server/postgres" -qc "CREATE DATABASE $source_db" -c "CREATE DATABASE $restored_db"
cleanup() {
  [ -n "${server_pid:-}" ] && kill "$server_pid" 2>/dev/null || true
  psql "$server/postgres" -qc "DROP DATABASE IF EXISTS $source_db WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $restored_db WITH (FORCE)"
}
trap cleanup EXIT
export PORTAL_INSTANCE_PATH="$work/instance" SECRET_KEY="$(python3 -c 'import secrets; print(secrets.token_hex(32))')"
count() {
  psql "$server/$1" -Atc "SELECT (SELECT count(*) FROM organizations) || ' organizations, ' ||
    (SELECT count(*) FROM assessments) || ' assessments, ' || (SELECT count(*) FROM answers) ||
    ' answers, ' || (SELECT count(*) FROM inventory_items) || ' products; answers digest ' ||
    (SELECT md5(string_agg(concat_ws('|', assessment_id, question_id, coalesce(value, '<null>'), note, revision), E'\\n' ORDER BY assessment_id, question_id)) FROM answers)"
}

cd "$root"
DATABASE_URL="$server/$source_db" "$flask" db upgrade >/dev/null 2>&1
DATABASE_URL="$server/$source_db" "$flask" kev import >/dev/null
DATABASE_URL="$server/$source_db" "$flask" generate-dataset --organizations 300 --assessments 900 >/dev/null
before=$(count "$source_db")
started=$(date +%s.%N)
dump=$(DATABASE_URL="$server/$source_db" deploy/backup.sh "$work/backups")
pg_restore --no-owner --dbname="$server/$restored_db" "$dump"
restored=$(date +%s.%N)
after=$(count "$restored_db")
echo "source:   $before"
echo "restored: $after"
[ "$before" = "$after" ] || { echo "DIFFERENT"; exit 1; }

# The portal on the copy, with production settings.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
PORTAL_ENV=production DATABASE_URL="$server/$restored_db" MAIL_BACKEND=dummy \
  "$root/.venv/bin/gunicorn" --workers 2 --bind "127.0.0.1:$port" 'portal:create_app()' \
  >"$work/gunicorn.log" 2>&1 &
server_pid=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
ready=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
echo "readyz on the restored copy: $ready"
[ "$ready" = 200 ] || { cat "$work/gunicorn.log"; exit 1; }
printf 'backup + restore: %.1f s (dump %s)\n' "$(echo "$restored - $started" | bc)" "$(du -h "$dump" | cut -f1)"
