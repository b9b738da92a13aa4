#!/usr/bin/env bash
# Refreshes the Swagger UI assets embedded by pkg/apidocs from the npm package swagger-ui-dist.
set -euo pipefail
cd "$(dirname "$0")/.."
version="${1:-5.35.0}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && npm pack "swagger-ui-dist@$version" >/dev/null && tar -xzf swagger-ui-dist-*.tgz)
cp "$tmp/package/swagger-ui-bundle.js" "$tmp/package/swagger-ui.css" pkg/apidocs/assets/
cp "$tmp/package/LICENSE" pkg/apidocs/assets/LICENSE.swagger-ui
echo "pkg/apidocs/assets: swagger-ui-dist $version"
