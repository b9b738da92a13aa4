#!/usr/bin/env bash
# `make run`: start the Flowkiwi services on a local PostgreSQL and print a demo partner.
# Uses DATABASE_SERVER_URL (default postgres://postgres@127.0.0.1:5432) when it answers; otherwise
# starts a private throwaway cluster from the machine's PostgreSQL binaries under .data/.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA="$ROOT/.data"
mkdir -p "$DATA"
SERVER="${DATABASE_SERVER_URL:-postgres://postgres@127.0.0.1:5432}"

pg_bin() {
	for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin /usr/local/bin /usr/bin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	command -v "$1" || { echo "make run: PostgreSQL's $1 was not found; install PostgreSQL or set DATABASE_SERVER_URL" >&2; exit 1; }
}

answers() { "$(pg_bin psql)" "$1/postgres" -Atqc 'select 1' >/dev/null 2>&1; }

STOP_PG=()
if ! answers "$SERVER"; then
	# The same private cluster the tests start when nothing answers (package pkg/pgcluster).
	echo "No PostgreSQL answers at 127.0.0.1:5432; starting a private cluster in .data/pg (port 55432)"
	SERVER=$("$ROOT/bin/pgcluster" start --dir "$DATA/pg" --port 55432)
	SERVER=${SERVER%/postgres?sslmode=disable}
	STOP_PG=("$ROOT/bin/pgcluster" stop --dir "$DATA/pg" --port 55432)
fi

for db in flowkiwi_identity flowkiwi_product_management; do
	"$(pg_bin psql)" "$SERVER/postgres" -Atqc "select 1 from pg_database where datname = '$db'" | grep -q 1 ||
		"$(pg_bin psql)" "$SERVER/postgres" -qc "create database $db" >/dev/null
done

export IDENTITY_ISSUER="${IDENTITY_ISSUER:-http://127.0.0.1:8080}"
IDENTITY_DB="$SERVER/flowkiwi_identity?sslmode=disable"
PM_DB="$SERVER/flowkiwi_product_management?sslmode=disable"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# The private cluster is throwaway: stop it with the services.
	if [ ${#STOP_PG[@]} -gt 0 ]; then "${STOP_PG[@]}" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

DATABASE_URL="$IDENTITY_DB" HTTP_ADDR=127.0.0.1:8080 "$ROOT/bin/identity" serve 2>"$DATA/identity.log" &
pids+=($!)
if [ -x "$ROOT/bin/product-management" ]; then
	DATABASE_URL="$PM_DB" HTTP_ADDR=127.0.0.1:8081 IDENTITY_URL=http://127.0.0.1:8080 \
		"$ROOT/bin/product-management" serve 2>"$DATA/product-management.log" &
	pids+=($!)
fi

for _ in $(seq 1 100); do
	curl -fsS http://127.0.0.1:8080/.well-known/jwks.json >/dev/null 2>&1 && break
	sleep 0.1
done
curl -fsS http://127.0.0.1:8080/.well-known/jwks.json >/dev/null || { echo "identity did not start; see .data/identity.log" >&2; tail -20 "$DATA/identity.log" >&2; exit 1; }

creds=$(DATABASE_URL="$IDENTITY_DB" "$ROOT/bin/identity" partner create --name "Demo Partner" 2>>"$DATA/identity.log")
client_id=$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' <<<"$creds")
client_secret=$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' <<<"$creds")

cat <<MSG

Flowkiwi is running.
  identity            http://127.0.0.1:8080   (logs: .data/identity.log)
$( [ -x "$ROOT/bin/product-management" ] && echo "  product-management  http://{handle}.product-management.localhost:8081   (logs: .data/product-management.log)")

Demo partner (the secret is shown once):
  $creds

Get a token:
  TOKEN=\$(curl -s --fail-with-body -u '$client_id:$client_secret' -d grant_type=client_credentials http://127.0.0.1:8080/oauth/token | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
  curl -s --fail-with-body -H "Authorization: Bearer \$TOKEN" http://127.0.0.1:8080/partners/me

Then an organization, an instance, and a product in it (see README.md for the whole walkthrough):
  ORG=\$(curl -s --fail-with-body -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' http://127.0.0.1:8080/organizations -d '{"name":"Acme"}' | sed -E 's/.*"id":"([^"]+)".*/\1/')
  curl -s --fail-with-body -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' http://127.0.0.1:8080/organizations/\$ORG/instances -d '{"name":"Acme EU","handle":"acme-eu"}'
  curl -s --fail-with-body -H "Authorization: Bearer \$TOKEN" -H "X-Flowkiwi-Organization-Id: \$ORG" -H 'Content-Type: application/json' \\
    http://acme-eu.product-management.localhost:8081/rest/api/products -d '{"title":"T-shirt"}'

Press Ctrl-C to stop.
MSG
wait
