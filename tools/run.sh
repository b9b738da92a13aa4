#!/usr/bin/env bash
# `make run`: start the Flowkiwi services on a local PostgreSQL and print a demo partner as the two
# `export` lines README.md's walkthrough starts from. `make reset` (run.sh reset) drops the
# databases so that the walkthrough, whose handle is permanent, can run again.
# Uses DATABASE_SERVER_URL (default postgres://postgres@127.0.0.1:5432) when it answers; otherwise
# starts a private throwaway cluster from the machine's PostgreSQL binaries under .data/.
# For the README's test, which runs beside a developer's own `make run`: IDENTITY_PORT (8080),
# PM_PORT (8081), RUN_DATABASE_PREFIX (flowkiwi) and BIN (bin/) move it out of the way.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DATA="$ROOT/.data"
mkdir -p "$DATA"
SERVER="${DATABASE_SERVER_URL:-postgres://postgres@127.0.0.1:5432}"
BIN="${BIN:-$ROOT/bin}"
IDENTITY_PORT="${IDENTITY_PORT:-8080}"
PM_PORT="${PM_PORT:-8081}"
PREFIX="${RUN_DATABASE_PREFIX:-flowkiwi}"
DATABASES=("${PREFIX}_identity" "${PREFIX}_product_management")

pg_bin() {
	for d in "$(pg_config --bindir 2>/dev/null || true)" /usr/lib/postgresql/*/bin /usr/local/bin /usr/bin; do
		[ -x "$d/$1" ] && { echo "$d/$1"; return; }
	done
	command -v "$1" || { echo "make run: PostgreSQL's $1 was not found; install PostgreSQL or set DATABASE_SERVER_URL" >&2; exit 1; }
}

answers() { "$(pg_bin psql)" "$1/postgres" -Atqc 'select 1' >/dev/null 2>&1; }

if [ "${1:-}" = reset ]; then
	# The private cluster is throwaway already; on a server that answers, drop our two databases.
	if answers "$SERVER"; then
		for db in "${DATABASES[@]}"; do
			"$(pg_bin psql)" "$SERVER/postgres" -qc "drop database if exists $db with (force)" >/dev/null
		done
		echo "make reset: dropped ${DATABASES[*]} on ${SERVER#*@}; the next make run starts empty"
	fi
	rm -rf "$DATA/pg" "$DATA/$PREFIX-service-credential.json"
	exit 0
fi

STOP_PG=()
if ! answers "$SERVER"; then
	# The same private cluster the tests start when nothing answers (package pkg/pgcluster).
	echo "No PostgreSQL answers at 127.0.0.1:5432; starting a private cluster in .data/pg (port 55432)"
	SERVER=$("$BIN/pgcluster" start --dir "$DATA/pg" --port 55432)
	SERVER=${SERVER%/postgres?sslmode=disable}
	STOP_PG=("$BIN/pgcluster" stop --dir "$DATA/pg" --port 55432)
fi

kept=""
for db in "${DATABASES[@]}"; do
	if "$(pg_bin psql)" "$SERVER/postgres" -Atqc "select 1 from pg_database where datname = '$db'" | grep -q 1; then
		kept=yes
	else
		"$(pg_bin psql)" "$SERVER/postgres" -qc "create database $db" >/dev/null
	fi
done

export IDENTITY_ISSUER="${IDENTITY_ISSUER:-http://127.0.0.1:$IDENTITY_PORT}"
IDENTITY_DB="$SERVER/${DATABASES[0]}?sslmode=disable"
PM_DB="$SERVER/${DATABASES[1]}?sslmode=disable"

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
	# The private cluster is throwaway: stop it with the services.
	if [ ${#STOP_PG[@]} -gt 0 ]; then "${STOP_PG[@]}" >/dev/null 2>&1 || true; fi
}
trap cleanup EXIT INT TERM

LOGS="$DATA/$PREFIX"
ready() {
	for _ in $(seq 1 300); do
		curl -fsS "$1" >/dev/null 2>&1 && return
		sleep 0.1
	done
	curl -fsS "$1" >/dev/null || { echo "make run: $1 did not answer; see $LOGS-*.log" >&2; tail -20 "$LOGS"-*.log >&2; exit 1; }
}
DATABASE_URL="$IDENTITY_DB" HTTP_ADDR=127.0.0.1:$IDENTITY_PORT "$BIN/identity" serve 2>"$LOGS-identity.log" &
pids+=($!)
ready "http://127.0.0.1:$IDENTITY_PORT/readyz"

# product-management follows identity's change stream with a service credential (kept with the
# databases: a kept run reuses it).
SERVICE="$LOGS-service-credential.json"
if [ -z "$kept" ] || [ ! -s "$SERVICE" ]; then
	DATABASE_URL="$IDENTITY_DB" "$BIN/identity" service create --name product-management >"$SERVICE" 2>>"$LOGS-identity.log"
fi
service_id=$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' "$SERVICE")
service_secret=$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' "$SERVICE")
DATABASE_URL="$PM_DB" HTTP_ADDR=127.0.0.1:$PM_PORT IDENTITY_URL=http://127.0.0.1:$IDENTITY_PORT \
	IDENTITY_CLIENT_ID="$service_id" IDENTITY_CLIENT_SECRET="$service_secret" \
	"$BIN/product-management" serve 2>"$LOGS-product-management.log" &
pids+=($!)
ready "http://127.0.0.1:$PM_PORT/readyz"

creds=$(DATABASE_URL="$IDENTITY_DB" "$BIN/identity" partner create --name "Demo Partner" 2>>"$LOGS-identity.log")
client_id=$(sed -E 's/.*"client_id":"([^"]+)".*/\1/' <<<"$creds")
client_secret=$(sed -E 's/.*"client_secret":"([^"]+)".*/\1/' <<<"$creds")

kept_note=""
[ -n "$kept" ] && kept_note="
The databases keep what earlier runs wrote, and the walkthrough's handle acme-shop is taken after
its first run: to start over, stop, run 'make reset', and make run again.
"
cat <<MSG

Flowkiwi is running (Ctrl-C stops it).
  identity            http://127.0.0.1:$IDENTITY_PORT   (logs: ${LOGS#$ROOT/}-identity.log)
  product-management  http://{handle}.product-management.localhost:$PM_PORT   (logs: ${LOGS#$ROOT/}-product-management.log)
$kept_note
A demo partner (its secret is shown once). In another terminal, paste these two lines, then follow
README.md from "Walkthrough (identity)":

export CLIENT_ID=$client_id
export CLIENT_SECRET=$client_secret
MSG
wait
