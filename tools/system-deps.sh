#!/usr/bin/env bash
# Install the Debian packages pbx needs, if they are missing.
set -euo pipefail

need=()
command -v sipp >/dev/null || need+=(sip-tester)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
command -v runuser >/dev/null || need+=(util-linux)
# Speech for the voicemail tests and benchmark (flite voices), audio conversion (sox).
command -v flite >/dev/null || need+=(flite)
command -v sox >/dev/null || need+=(sox)
# The browser softphone: npm fetches its SIP library (tools/vendor-js.sh); its e2e test
# drives the page in headless Chromium.
command -v npm >/dev/null || need+=(npm)
command -v chromium >/dev/null || need+=(chromium)
if ! command -v asterisk >/dev/null; then
  command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "installing Debian packages: ${need[*]}"
sudo=""
if [ "$(id -u)" != 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
