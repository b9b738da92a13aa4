#!/usr/bin/env bash
# A Portman contract run (npm @apideck/portman + newman) over what the running services serve at
# /openapi.yaml: every operation is called with the spec's examples and each response is checked
# for its declared content type, JSON body and schema. Start the services first (make run), then:
#   tools/portman/run.sh CLIENT_ID CLIENT_SECRET
# Product-management is called as a fresh organization on a fresh instance (portman-pm-<n>), through
# the instance host, which this script maps to the loopback address when it may (/etc/hosts).
set -euo pipefail
cd "$(dirname "$0")"
ID=${IDENTITY:-http://127.0.0.1:8080}
PM_PORT=${PM_PORT:-8081}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm_dir=${PORTMAN_DIR:-$HOME/.cache/flowkiwi-portman}
mkdir -p "$npm_dir"
if [ ! -x "$npm_dir/node_modules/.bin/portman" ]; then
	(cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error @apideck/portman@1.33.0 newman@6.2.2 tslib@2.9.1 >/dev/null)
fi
portman="$npm_dir/node_modules/.bin/portman"

token=$(curl -s --fail-with-body -u "$1:$2" -d grant_type=client_credentials "$ID/oauth/token" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
org=$(curl -s --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$ID/organizations" -d '{"name":"Portman"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
handle="portman-pm-$(date +%s | tr '0-9' 'a-j')"
curl -s --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$ID/organizations/$org/instances" \
	-d "{\"name\":\"Portman\",\"handle\":\"$handle\"}" >/dev/null
host="$handle.product-management.localhost"
if ! getent hosts "$host" >/dev/null 2>&1 && [ -w /etc/hosts ]; then echo "127.0.0.1 $host" >>/etc/hosts; fi

run() { # name spec-url base-url [extra headers JSON]
	curl -s --fail-with-body "$2" -o "$work/$1.yaml"
	jq --arg t "$token" --argjson h "${4:-[]}" '.globals.securityOverwrites.bearer.token = $t
		| .globals.overwrites = [{"openApiOperation": "*::/*", "overwriteRequestHeaders": $h}]' portman-config.json >"$work/$1-config.json"
	"$portman" -l "$work/$1.yaml" -b "$3" -c "$work/$1-config.json" -o "$work/$1.postman.json" --runNewman \
		--newmanOptionsFile <(echo '{"reporters":["cli","json"],"reporter":{"json":{"export":"'"$work/$1.newman.json"'"}}}') >"$work/$1.log" 2>&1 || true
	jq -r --arg n "$1" '.run.stats as $s | .run.failures as $f
		| "\($n): \($s.requests.total) requests, \($s.assertions.total) assertions, \($s.assertions.failed) failed; schema failures: \([$f[] | select(.error.message | test("schema"; "i"))] | length)"' "$work/$1.newman.json"
	jq -r '.run.failures[] | "  \(.source.name // "?"): \(.error.message | .[0:200])"' "$work/$1.newman.json" | sort | uniq -c | sort -rn | head -15
}
run identity "$ID/openapi.yaml" "$ID"
run product-management "http://127.0.0.1:$PM_PORT/openapi.yaml" "http://$host:$PM_PORT" \
	"[{\"key\":\"X-Flowkiwi-Organization-Id\",\"value\":\"$org\",\"overwrite\":true}]"
