#!/usr/bin/env bash
# `make test`'s prerequisites beyond Go and PostgreSQL: headless Chromium checks the API reference
# pages (/docs). Installed here when it can be (root with apt-get, as on CI and fresh Debian
# machines); otherwise make test stops and says how, rather than skip the docs tests.
set -euo pipefail
for name in chromium chromium-browser google-chrome; do
	command -v "$name" >/dev/null 2>&1 && exit 0
done
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: installing chromium (the docs pages' test renders them headless)..." >&2
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) >/dev/null 2>&1 && exit 0
fi
echo "make test needs Chromium for the docs pages' test: install it (Debian: sudo apt-get install chromium)" >&2
exit 1
