#!/usr/bin/env bash
# Re-vendor the browser libraries the web app serves from its own origin (never a CDN).
# Each package comes from the npm registry with `npm pack`; only the dist files the templates
# use are copied, with the package's licence, into src/asbhub/web/static/vendor/<package>/.
# Change a version here and rerun; the versions are also listed in docs/web.md.
set -euo pipefail
cd "$(dirname "$0")/.."

HTMX=2.0.11
LEAFLET=1.9.4
CHARTJS=4.6.1
GOVUK=5.9.0
# Test-only: the accessibility engine the browser tests inject (never served by the app).
AXE=4.14.1

dest=src/asbhub/web/static/vendor
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

unpack() { # name version -> directory holding the unpacked package
  local dir="$work/$1"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$1@$2" >/dev/null && tar -xzf ./*.tgz)
  echo "$dir/package"
}

rm -rf "$dest"
mkdir -p "$dest"/{htmx,leaflet/images,chartjs,govuk-frontend}

p=$(unpack htmx.org "$HTMX")
cp "$p/dist/htmx.min.js" "$p/LICENSE" "$dest/htmx/"

p=$(unpack leaflet "$LEAFLET")
cp "$p/dist/leaflet.js" "$p/dist/leaflet.css" "$p/LICENSE" "$dest/leaflet/"
cp "$p"/dist/images/*.png "$dest/leaflet/images/"

p=$(unpack chart.js "$CHARTJS")
cp "$p/dist/chart.umd.min.js" "$p/LICENSE.md" "$dest/chartjs/"

p=$(unpack govuk-frontend "$GOVUK")
g="$p/dist/govuk"
cp "$g/govuk-frontend.min.js" "$dest/govuk-frontend/"
# The GDS Transport typeface and the crown are licensed for GOV.UK services only, so they are
# not shipped: drop the @font-face rules and the crest, and fall back to Arial as GOV.UK does.
sed -e 's/@font-face{[^}]*}//g' -e 's/GDS Transport,arial/arial/g' \
  -e 's#url(/assets/images/govuk-crest.svg)#none#g' \
  "$g/govuk-frontend.min.css" >"$dest/govuk-frontend/govuk-frontend.min.css"
# The package ships no licence file; its README states the licence.
sed -n '/^## Licence/,/^## Contribution/p' "$p/README.md" | sed '$d' >"$dest/govuk-frontend/LICENCE.md"

cat > "$dest/VERSIONS" <<VERS
htmx.org $HTMX
leaflet $LEAFLET
chart.js $CHARTJS
govuk-frontend $GOVUK
VERS

axe=tests/browser/vendor/axe-core
rm -rf "$axe"
mkdir -p "$axe"
p=$(unpack axe-core "$AXE")
cp "$p/axe.min.js" "$p/LICENSE" "$axe/"
echo "axe-core $AXE" >"$axe/VERSION"
du -sh "$dest" "$axe"
