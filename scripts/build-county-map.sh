#!/usr/bin/env bash
# Build data/geo/counties.json, the county outlines the coordinators' county map is drawn from
# (assets/geo/build-counties.mjs: us-atlas 3.0.1, the Census Bureau's 2017 cartographic boundary
# files). Needs Node.js + npm; the built file is committed, so running and testing the portal
# never needs Node. Versions: assets/package.json (exact) and assets/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm --prefix assets ci --no-audit --no-fund
node assets/geo/build-counties.mjs data/geo/counties.json
echo "data/geo/counties.json: $(wc -c < data/geo/counties.json) bytes"
