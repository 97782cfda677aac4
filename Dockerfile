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
COPY requirements.lock /src/
RUN python3 -m venv /opt/portal \
 && if ls /wheelhouse/*.whl >/dev/null 2>&1; then index="--no-index --find-links /wheelhouse"; \
    else index=""; fi \
 && /opt/portal/bin/pip install --no-cache-dir --disable-pip-version-check $index \
      --require-hashes -r /src/requirements.lock
COPY pyproject.toml setup.py README.md /src/
COPY portal /src/portal
COPY templates /src/templates
COPY static /src/static
COPY questionnaires /src/questionnaires
COPY migrations /src/migrations
COPY data /src/data
# The portal itself, its files inside the package (portal/_files), compiled ahead of time. The
# build backend comes from the wheelhouse too when there is one.
RUN cd /src \
 && if ls /wheelhouse/*.whl >/dev/null 2>&1; then index="--no-index --find-links /wheelhouse"; \
    else index=""; fi \
 && /opt/portal/bin/pip install --no-cache-dir --disable-pip-version-check $index --no-deps . \
 && /opt/portal/bin/python -m compileall -q /opt/portal/lib

FROM ${BASE}
# WeasyPrint's Pango and HarfBuzz (a base that has them, like the test's, skips the download).
RUN if ! ldconfig -p | grep -q libpangoft2-1.0.so.0 || ! ldconfig -p | grep -q libharfbuzz-subset; then \
      apt-get update \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
           libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
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
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# Everything the portal writes (instance, PDF cache, static build): the root file system can be
# read-only (compose: read_only: true, with a tmpfs on /tmp).
VOLUME ["/var/lib/portal"]
USER portal
WORKDIR /var/lib/portal
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["python3", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('PORT', '8000') + '/readyz', timeout=4)"]
# The web server (the workers and jobs give their own command: see deploy/compose/compose.yaml).
CMD ["sh", "-c", "flask static build && exec gunicorn --workers ${WEB_WORKERS:-4} --bind 0.0.0.0:${PORT:-8000} --forwarded-allow-ips='*' 'portal:create_app()'"]
