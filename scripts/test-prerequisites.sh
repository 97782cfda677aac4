#!/usr/bin/env bash
# What `make test` needs besides Python packages: Pango and HarfBuzz (WeasyPrint), pdftoppm,
# Debian's Chromium (browser tests) and a Redis. Run as root on Debian/Ubuntu it installs what is
# missing (as CI does); otherwise it stops at once with one line naming what is missing and the
# command that installs it. With no Redis listening on 127.0.0.1:6379 (and no TEST_REDIS_URL) it
# starts a private one on a free port. Prints shell assignments for the caller to eval.
set -euo pipefail

packages=()
python3 -c 'import ensurepip' 2>/dev/null || packages+=(python3-venv)
# ldconfig is in /sbin (not on a user's PATH); its list is read whole, not piped to an early-exiting
# grep (SIGPIPE under pipefail made installed libraries look missing now and then).
libraries=$(/sbin/ldconfig -p 2>/dev/null || ldconfig -p 2>/dev/null || true)
for pair in libpango-1.0.so.0:libpango-1.0-0 libpangoft2-1.0.so.0:libpangoft2-1.0-0 \
  libharfbuzz-subset.so.0:libharfbuzz-subset0; do
  [[ $libraries == *"${pair%%:*}"* ]] || packages+=("${pair##*:}")
done
command -v pdftoppm >/dev/null || packages+=(poppler-utils)
[ -x "${CHROMIUM:-/usr/bin/chromium}" ] || packages+=(chromium)
private_redis=false
if [ -z "${SYSTEM_PACKAGES_ONLY:-}" ] && [ -z "${TEST_REDIS_URL:-}" ] && ! (exec 3<>"/dev/tcp/127.0.0.1/${REDIS_PROBE_PORT:-6379}") 2>/dev/null; then
  private_redis=true
  command -v redis-server >/dev/null || packages+=(redis-server)
fi

if [ ${#packages[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "make test: installing ${packages[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
  else
    echo "make test needs ${packages[*]}: sudo apt-get install ${packages[*]}" >&2
    exit 1
  fi
fi

if $private_redis; then
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  dir=$(mktemp -d)
  redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes \
    --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2
  answered=false
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then answered=true; break; fi
    sleep 0.1
  done
  if ! $answered; then
    echo "make test: the private Redis did not start (see $dir/redis.log)" >&2
    kill "$(cat "$dir/redis.pid" 2>/dev/null)" 2>/dev/null || true
    exit 1
  fi
  echo "make test: started a private Redis on port $port (stopped after the tests)" >&2
  echo "export TEST_REDIS_URL=redis://127.0.0.1:$port/0 PRIVATE_REDIS_PIDFILE=$dir/redis.pid"
fi
