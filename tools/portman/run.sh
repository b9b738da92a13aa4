#!/usr/bin/env bash
# A Portman contract run (npm @apideck/portman turns what the running services serve at
# /openapi.yaml into a Postman collection with contract tests; newman runs it): every operation is
# called once, in an order where each finds what it needs (identity-run.json, pm-run.json, applied
# by prepare.py), and each response is checked for its declared content type, JSON body and schema.
# Start the services first (make run), then: tools/portman/run.sh CLIENT_ID CLIENT_SECRET
# Needs node/npm, jq and python3; product-management is called through a fresh instance's host,
# which this script maps to the loopback address in /etc/hosts when it may.
set -euo pipefail
cd "$(dirname "$0")"
here=$(pwd)
ID=${IDENTITY:-http://127.0.0.1:8080}
PM_PORT=${PM_PORT:-8081}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
npm_dir=${PORTMAN_DIR:-$HOME/.cache/flowkiwi-portman}
mkdir -p "$npm_dir"
if [ ! -x "$npm_dir/node_modules/.bin/portman" ]; then
	(cd "$npm_dir" && npm install --no-audit --no-fund --loglevel=error @apideck/portman@1.33.0 newman@6.2.2 tslib@2.9.1 >/dev/null)
fi
bin="$npm_dir/node_modules/.bin"
run=$(date +%s | tr '0-9' 'a-j')

token=$(curl -s --fail-with-body -u "$1:$2" -d grant_type=client_credentials "$ID/oauth/token" | jq -r .access_token)
org=$(curl -s --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$ID/organizations" -d '{"name":"Portman"}' | jq -r .id)
handle="portman-$run"
curl -s --fail-with-body -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$ID/organizations/$org/instances" \
	-d "{\"name\":\"Portman\",\"handle\":\"$handle\"}" >/dev/null
host="$handle.product-management.localhost"
if ! getent hosts "$host" >/dev/null 2>&1 && [ -w /etc/hosts ]; then echo "127.0.0.1 $host" >>/etc/hosts; fi

contract() { # name spec-url base-url run-spec environment-json
	curl -s --fail-with-body "$2" -o "$work/$1.yaml"
	# From $work: portman leaves its tmp/working/ collection in the current directory.
	(cd "$work" && "$bin/portman" -l "$work/$1.yaml" -b "$3" -c "$here/portman-config.json" -o "$work/$1.json" >"$work/$1.log" 2>&1)
	python3 "$here/prepare.py" "$work/$1.json" "$here/$4"
	echo "$5" >"$work/$1.env.json"
	"$bin/newman" run "$work/$1.json" -e "$work/$1.env.json" --reporters json --reporter-json-export "$work/$1.newman.json" >/dev/null 2>&1 || true
	jq -r --arg n "$1" '.run as $r | "\($n): \($r.stats.requests.total) requests, \($r.stats.assertions.total) assertions, \($r.stats.assertions.failed) failed, schema failures on successful responses: \([$r.executions[] | select(.response.code < 300) | .assertions[]? | select(.error and (.assertion | test("Schema")))] | length)"' "$work/$1.newman.json"
	jq -r '.run.failures[] | "  \(.source.name): \(.error.test)"' "$work/$1.newman.json"
}
contract identity "$ID/openapi.yaml" "$ID" identity-run.json \
	"{\"values\":[{\"key\":\"bearerToken\",\"value\":\"$token\"},{\"key\":\"clientIdLogin\",\"value\":\"$1\"},{\"key\":\"clientSecretLogin\",\"value\":\"$2\"},{\"key\":\"handleNew\",\"value\":\"portman-id-$run\"}]}"
contract product-management "http://127.0.0.1:$PM_PORT/openapi.yaml" "http://$host:$PM_PORT" pm-run.json \
	"{\"values\":[{\"key\":\"bearerToken\",\"value\":\"$token\"},{\"key\":\"organizationId\",\"value\":\"$org\"},{\"key\":\"run\",\"value\":\"$run\"},{\"key\":\"contextType\",\"value\":\"Product\"},{\"key\":\"statusesCode\",\"value\":\"active\"},{\"key\":\"countriesCode\",\"value\":\"DE\"}]}"
