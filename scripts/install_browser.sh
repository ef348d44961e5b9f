#!/bin/sh
# Headless Chromium for the slow browser test (tests/test_ui_browser.py); Debian's package.
set -e
command -v chromium >/dev/null 2>&1 && exit 0
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
