#!/usr/bin/env bash
# Build the U.S. Web Design System files under static/uswds/ from the npm package: the CSS
# compiled from its Sass source with the portal's theme and only the components the portal uses
# (assets/uswds/portal-uswds.scss), then the selectors no template, script or Python file writes
# removed (PurgeCSS, assets/purgecss.config.cjs); USWDS's script, fonts and images copied.
# Needs Node.js + npm; run it when the templates start using another USWDS component or class,
# or when upgrading USWDS; then compare the pages before and after, pixel by pixel, with
# scripts/compare_css.py. The built files are committed, so running and testing the portal
# never needs Node. Versions: assets/package.json (exact) and assets/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
npm --prefix assets ci --no-audit --no-fund
pkg=assets/node_modules/@uswds/uswds
src=$pkg/dist
dest=static/uswds
rm -rf "$dest"
mkdir -p "$dest/css" "$dest/js" "$dest/fonts" "$dest/img"
compiled=$(mktemp)
assets/node_modules/.bin/sass --no-source-map --style=compressed \
  --load-path="$pkg/packages" --load-path=assets/uswds \
  assets/uswds/portal-uswds.scss "$compiled"
(cd assets && node -e '
  const { PurgeCSS } = require("purgecss");
  const config = require("./purgecss.config.cjs");
  new PurgeCSS().purge({ ...config, css: [process.argv[1]] }).then((result) => {
    require("fs").writeFileSync(process.argv[2], result[0].css);
  });
' "$compiled" "../$dest/css/uswds-portal.min.css")
rm -f "$compiled"
cp "$src/js/uswds.min.js" "$dest/js/"
# Only the font files the compiled CSS names (regular and bold, and their italics, of the three
# families), and of those only woff2: browsers that cannot read woff2 fall back to system fonts.
grep -o 'url([^)]*\.woff2)' "$dest/css/uswds-portal.min.css" | sed -e 's/^url(//' -e 's/)$//' \
  -e 's/^"//' -e 's/"$//' -e 's#^\.\./fonts/##' | sort -u | while read -r font; do
  mkdir -p "$dest/fonts/$(dirname "$font")"
  cp "$src/fonts/$font" "$dest/fonts/$font"
done
# Images the CSS and the banner use; the hero photo and deprecated icon sets are left out.
(cd "$src/img" && find . -type f ! -path './hero*' ! -path './material-icons-deprecated/*' \
    ! -path './favicons/*' ! -path './uswds-icons/*' ! -path './material-icons/*' -print0 | xargs -0 -I{} cp --parents {} "$OLDPWD/$dest/img/")
node -e "console.log('USWDS', require('./$pkg/package.json').version)" > "$dest/VERSION"
wc -c "$dest/css/uswds-portal.min.css"
du -sh "$dest"
