#!/usr/bin/env bash
# `make test`'s prerequisites beyond Go and PostgreSQL: headless Chromium checks the API reference
# pages (/docs), and jq runs in README.md's walkthrough, which a test runs word for word. Installed
# here when they can be (root with apt-get, as on CI and fresh Debian machines); otherwise make test
# stops and says how, rather than skip those tests.
set -euo pipefail
missing=()
have_chromium=""
for name in chromium chromium-browser google-chrome; do
	command -v "$name" >/dev/null 2>&1 && have_chromium=yes
done
[ -n "$have_chromium" ] || missing+=(chromium)
command -v jq >/dev/null 2>&1 || missing+=(jq)
command -v curl >/dev/null 2>&1 || missing+=(curl)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	echo "test-deps: installing ${missing[*]} (the docs pages' test and the README's walkthrough need them)..." >&2
	(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null 2>&1 && exit 0
fi
echo "make test needs ${missing[*]} (the docs pages' test, the README's walkthrough): install them (Debian: sudo apt-get install ${missing[*]})" >&2
exit 1
