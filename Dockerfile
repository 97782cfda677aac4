# The portal as one image for the web server (gunicorn), the RQ workers and the scheduled jobs;
# deploy/compose/compose.yaml runs them with PostgreSQL, Redis and nginx. Nothing secret is in
# the image: settings come from the environment, secrets from files (NAME_FILE=/run/secrets/…).
#
#   docker build -t readiness-portal .                       # from PyPI, on a slim Python base
#   make image                                               # the same, offline: wheels made first
#
# BASE: any Debian 12 image with Python 3.11 and python3-venv (default: the official slim one).
ARG BASE=python:3.11-slim-bookworm

FROM ${BASE} AS build
# Wheels built beforehand (`make image` fills wheelhouse/; empty: from PyPI) — installed with
# their hashes checked against the lock either way.
COPY wheelhouse/ /wheelhouse/
COPY requirements.lock requirements-build.lock /src/
RUN python3 -m venv /opt/portal \
 && if ls /wheelhouse/*.whl >/dev/null 2>&1; then index="--no-index --find-links /wheelhouse"; \
    else index=""; fi \
 && /opt/portal/bin/pip install --no-cache-dir --disable-pip-version-check $index \
      --require-hashes -r /src/requirements.lock -r /src/requirements-build.lock
COPY pyproject.toml setup.py README.md /src/
COPY portal /src/portal
COPY templates /src/templates
COPY static /src/static
COPY questionnaires /src/questionnaires
COPY translations /src/translations
COPY migrations /src/migrations
COPY data /src/data
# The portal itself, its files inside the package (portal/_files), compiled ahead of time; built
# with the locked build backend installed above (hashes checked), nothing fetched.
RUN cd /src \
 && /opt/portal/bin/pybabel -q compile -d translations \
 && /opt/portal/bin/pip install --no-cache-dir --disable-pip-version-check --no-index \
      --no-deps --no-build-isolation . \
 && /opt/portal/bin/python -m compileall -q /opt/portal/lib

FROM ${BASE}
# WeasyPrint's Pango and HarfBuzz, and the CA certificates the KEV import's TLS needs (a base
# that has them, like the test's, skips the download).
RUN if ! ldconfig -p | grep -q libpangoft2-1.0.so.0 || ! ldconfig -p | grep -q libharfbuzz-subset \
       || [ ! -s /etc/ssl/certs/ca-certificates.crt ]; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
           libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core ca-certificates \
      && rm -rf /var/lib/apt/lists/*; \
    fi \
 && useradd --system --uid 10001 --home-dir /var/lib/portal --shell /usr/sbin/nologin portal \
 && mkdir -p /var/lib/portal && chown portal:portal /var/lib/portal
COPY --from=build /opt/portal /opt/portal
ENV PATH=/opt/portal/bin:$PATH \
    FLASK_APP=portal \
    PORTAL_ENV=production \
    PORTAL_INSTANCE_PATH=/var/lib/portal/instance \
    PDF_CACHE_DIR=/var/lib/portal/pdf-cache \
    STATIC_BUILD_DIR=/var/lib/portal/static-build \
    HOME=/var/lib/portal \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Everything the portal writes (instance, PDF cache, static build): the root file system can be
# read-only (compose: read_only: true, with a tmpfs on /tmp).
VOLUME ["/var/lib/portal"]
USER portal
# Not the writable volume: flask and gunicorn put the working folder first on the import path, and
# nothing written at run time may be imported.
WORKDIR /opt/portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/readyz', timeout=4)"]
# The web server (the workers and jobs give their own command: see deploy/compose/compose.yaml).
# Metrics count every gunicorn worker (their files on the fresh tmpfs of each start).
CMD ["sh", "-c", "flask static build && export PROMETHEUS_MULTIPROC_DIR=/tmp/metrics && mkdir -p \"$PROMETHEUS_MULTIPROC_DIR\" && exec gunicorn --workers ${WEB_WORKERS:-4} --bind 0.0.0.0:${PORT:-8000} --forwarded-allow-ips='*' 'portal:create_app()'"]
