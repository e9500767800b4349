#!/usr/bin/env bash
# Fetch the web page's chart library from the npm registry and copy it into the package.
# The page is buildless (plain ES modules); this is its only third-party file.
#   scripts/vendor_web.sh            # the pinned version, hash checked
#   VERSION=4.7.0 SHA256= scripts/vendor_web.sh   # an upgrade: prints the new hash to record
set -euo pipefail
VERSION="${VERSION:-4.6.1}"
SHA256="${SHA256-87364cc2b2a76a6684929e7d6b80b18a897794db38400caff1fcf1791c6925d2}"
DEST="$(cd "$(dirname "$0")/.." && pwd)/src/tailrace/web/vendor"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
(cd "$TMP" && npm pack --silent "chart.js@${VERSION}" >/dev/null && tar xzf "chart.js-${VERSION}.tgz")
got="$(sha256sum "$TMP/package/dist/chart.umd.min.js" | cut -d' ' -f1)"
if [ -n "$SHA256" ] && [ "$got" != "$SHA256" ]; then
  echo "chart.js ${VERSION}: sha256 ${got}, expected ${SHA256}" >&2
  exit 1
fi
cp "$TMP/package/dist/chart.umd.min.js" "$DEST/chart.umd.min.js"
cp "$TMP/package/LICENSE.md" "$DEST/chart.js.LICENSE.md"
echo "chart.js ${VERSION} -> ${DEST} (sha256 ${got})"
