#!/bin/sh
# Debian packages the slow tests need, installed only where missing:
#   scripts/install_services.sh chromium     # headless browser (tests/test_ui_browser.py)
#   scripts/install_services.sh postgresql   # the team store (tests/test_team_store.py, scripts/team_store.sh)
# No argument installs both. Needs root (or sudo) and Debian's package registry.
set -e
[ $# -gt 0 ] || set -- chromium postgresql
missing=""
for name in "$@"; do
  case "$name" in
    chromium) command -v chromium >/dev/null 2>&1 || missing="$missing chromium" ;;
    postgresql) ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$missing postgresql" ;;
    *) echo "unknown service '$name': choose chromium or postgresql" >&2; exit 2 ;;
  esac
done
[ -n "$missing" ] || exit 0
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "installing$missing needs root: run this script as root" >&2; exit 1; }
  SUDO="sudo -n"
fi
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null
