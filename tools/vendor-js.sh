#!/usr/bin/env bash
# Vendor the browser softphone's SIP library: install the JsSIP version pinned in
# softphone/package-lock.json with this machine's npm (its configured registry), bundle
# it for the browser with esbuild (pinned there too) and write the bundle, with JsSIP's
# licence, to pbx/api/static/vendor/ (git-ignored). Does nothing when the bundle is
# already built from the current lock file; FORCE=1 rebuilds it.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/softphone"
out="$root/pbx/api/static/vendor"
bundle="$out/jssip.min.js"
stamp="$out/.lock-sha256"

want="$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)"
if [ "${FORCE:-0}" != 1 ] && [ -s "$bundle" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "vendor-js: npm is missing (tools/system-deps.sh installs nodejs and npm)" >&2
  exit 1
fi

echo "vendor-js: installing the softphone's SIP library (softphone/package-lock.json)"
# Exactly the lock file's versions and checksums; no install scripts run.
(cd "$src" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error)
version="$(node -p 'require(process.argv[1]).version' "$src/node_modules/jssip/package.json")"

mkdir -p "$out"
tmp="$(mktemp "$out/.jssip.XXXXXX")"
trap 'rm -f "$tmp"' EXIT
# One script that defines the global `JsSIP`, as the page loads it.
node "$src/node_modules/esbuild/bin/esbuild" "$src/node_modules/jssip/lib/JsSIP.js" \
  --bundle --minify --format=iife --global-name=JsSIP --platform=browser --target=es2019 \
  --legal-comments=inline --log-level=warning \
  --banner:js="/* JsSIP $version (MIT licence, see JSSIP-LICENSE.md), bundled by pbx tools/vendor-js.sh */" \
  --outfile="$tmp"
chmod 0644 "$tmp"
mv "$tmp" "$bundle"
cp "$src/node_modules/jssip/LICENSE.md" "$out/JSSIP-LICENSE.md"
echo "$want" > "$stamp"
echo "vendor-js: wrote ${bundle#"$root/"} (JsSIP $version)"
