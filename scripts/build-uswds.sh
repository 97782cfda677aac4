#!/usr/bin/env bash
# Refresh the U.S. Web Design System files under static/uswds/ from the npm package.
# Needs Node.js + npm; run it only when upgrading USWDS (the built files are committed, so running
# or testing the portal never needs Node). Version: assets/package.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm --prefix assets install --no-audit --no-fund
src=assets/node_modules/@uswds/uswds/dist
dest=static/uswds
rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js" "$dest/fonts" "$dest/img"
cp "$src/css/uswds.min.css" "$dest/css/"
cp "$src/js/uswds.min.js" "$src/js/uswds-init.min.js" "$dest/js/"
# The CSS asks for woff2 first; browsers that cannot read woff2 fall back to system fonts.
(cd "$src/fonts" && find . -name '*.woff2' -print0 | xargs -0 -I{} cp --parents {} "$OLDPWD/$dest/fonts/")
# Images the CSS and the banner use; the hero photo and deprecated icon sets are left out.
(cd "$src/img" && find . -type f ! -path './hero*' ! -path './material-icons-deprecated/*' \
    ! -path './favicons/*' ! -path './uswds-icons/*' ! -path './material-icons/*' -print0 | xargs -0 -I{} cp --parents {} "$OLDPWD/$dest/img/")
node -e "console.log('USWDS', require('./assets/node_modules/@uswds/uswds/package.json').version)" > "$dest/VERSION"
du -sh "$dest"
