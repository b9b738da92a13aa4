#!/usr/bin/env bash
# `make bench-http`: throughput of product-management as a storefront sees it, against PostgreSQL's
# own speed in the same run. Starts identity and product-management from bin/ on fresh databases
# (rate limiting off), seeds 1,000 products x 6 variants x 2 prices in one channel, then measures,
# one after another on this machine: `pgbench -S` (one primary-key select, no TLS, as the services
# connect) and, with wrk, the expanded read, the resolved read, the 50-item expanded list and the
# 6-variant create. Prints req/s, p99, each ratio to pgbench -S, the cores the service and the
# whole machine used meanwhile, and the service's RSS after each.
# BENCH_ONLY="expanded-read list-50-expanded" runs only those; BENCH_PROFILE=DIR also writes the service's CPU profile of each run to DIR/NAME.pprof.
set -euo pipefail
cd "$(dirname "$0")/../.."
SERVER=${DATABASE_SERVER_URL:-postgres://postgres@127.0.0.1:5432}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
ID_PORT=18080
PM_PORT=18081
DEBUG_PORT=18089
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
for bin in wrk pgbench psql jq curl; do command -v $bin >/dev/null || { echo "bench-http needs $bin (Debian: apt-get install wrk postgresql-client jq curl)" >&2; exit 1; }; done

wait_ready() { # name port log: fail loudly when a service does not become ready in 10 s
	for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
	echo "bench-http: $1 did not become ready on port $2:" >&2; tail -5 "$3" >&2; exit 1
}
export PGOPTIONS="-c client_min_messages=warning"
for db in flowkiwi_bench_identity flowkiwi_bench_pm flowkiwi_bench_pgbench; do
	psql "$SERVER/postgres" -qc "drop database if exists $db with (force)" -qc "create database $db" >/dev/null
done
pgbench -q -i -s 10 "$SERVER/flowkiwi_bench_pgbench?sslmode=disable" >/dev/null 2>&1

ID_DB="$SERVER/flowkiwi_bench_identity?sslmode=disable"
export LOG_LEVEL=warn RATE_LIMIT_RPS=0 IDENTITY_KEY_ENCRYPTION_KEYS=
DATABASE_URL="$ID_DB" HTTP_ADDR=127.0.0.1:$ID_PORT IDENTITY_ISSUER=http://127.0.0.1:$ID_PORT bin/identity serve 2>"$work/identity.log" &
pids+=($!)
wait_ready identity $ID_PORT "$work/identity.log"
DATABASE_URL="$SERVER/flowkiwi_bench_pm?sslmode=disable" HTTP_ADDR=127.0.0.1:$PM_PORT DEBUG_ADDR=${BENCH_PROFILE:+127.0.0.1:$DEBUG_PORT} IDENTITY_URL=http://127.0.0.1:$ID_PORT \
	bin/product-management serve 2>"$work/pm.log" &
pids+=($!)
wait_ready product-management $PM_PORT "$work/pm.log"

creds=$(DATABASE_URL="$ID_DB" bin/identity partner create --name Bench)
token=$(curl -s --fail-with-body -u "$(jq -r .client_id <<<"$creds"):$(jq -r .client_secret <<<"$creds")" -d grant_type=client_credentials \
	http://127.0.0.1:$ID_PORT/oauth/token | jq -r .access_token)
auth="Authorization: Bearer $token"
org=$(curl -s --fail-with-body -H "$auth" -H 'Content-Type: application/json' http://127.0.0.1:$ID_PORT/organizations -d '{"name":"Bench"}' | jq -r .id)
curl -s --fail-with-body -H "$auth" -H 'Content-Type: application/json' http://127.0.0.1:$ID_PORT/organizations/$org/instances \
	-d '{"name":"Bench","handle":"bench-shop"}' >/dev/null
host="bench-shop.product-management.localhost"
pm() { curl -s --fail-with-body -H "$auth" -H "Host: $host" -H "X-Flowkiwi-Organization-Id: $org" -H 'Content-Type: application/json' "$@"; }
channel=$(pm http://127.0.0.1:$PM_PORT/rest/api/channels -d '{"code":"web","name":"Web","currency":"EUR","countries":["DE"]}' | jq -r '."@id"')

product() { # n: a product with 6 variants, each with a base price and a channel price
	jq -cn --arg n "$1" --arg ch "$channel" '{title: ("Bench tee " + $n), vendor: "Bench", tags: "bench",
		options: [{name: "Size", values: ["XS","S","M","L","XL","XXL"]}],
		variants: [["XS","S","M","L","XL","XXL"][] as $s | {sku: ("B-" + $n + "-" + $s), optionValues: [{option: "Size", value: $s}],
			prices: [{currency: "EUR", amount: "19.99"}, {currency: "EUR", amount: "17.99", channel: $ch}]}]}'
}
export -f product pm
export auth host org channel PM_PORT
echo "seeding 1,000 products x 6 variants x 2 prices..." >&2
seq 1 1000 | xargs -P 4 -I{} bash -c 'pm http://127.0.0.1:$PM_PORT/rest/api/products -d "$(product {})" | jq -r .id' >"$work/ids"
[ "$(wc -l <"$work/ids")" = 1000 ] || { echo "seeding failed" >&2; tail -5 "$work/pm.log" >&2; exit 1; }
# Fresh statistics, as autovacuum would have gathered on a catalog that grew over time (it is off on
# some servers, and without statistics the planner walks the tenant's whole index for each lookup).
psql "$SERVER/flowkiwi_bench_pm" -qc analyze

pg_tps=$(pgbench -n -S -c 8 -j 2 -T "${DURATION%s}" -M prepared "$SERVER/flowkiwi_bench_pgbench?sslmode=disable" 2>/dev/null |
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)

lua() { # path template (IDS: a random product id), method, body template
	cat <<LUA
local ids = {}
for line in io.lines("$work/ids") do ids[#ids + 1] = line end
local n = 0
-- each thread has its own Lua state; setup (run in the main one) numbers them so creates never collide
local threads = 0
setup = function(thread) threads = threads + 1; thread:set("thread_id", threads) end
wrk.headers["Authorization"] = "Bearer $token"
wrk.headers["Host"] = "$host"
wrk.headers["X-Flowkiwi-Organization-Id"] = "$org"
wrk.headers["Content-Type"] = "application/json"
request = function()
  n = n + 1
  local path = string.gsub("$1", "IDS", ids[math.random(#ids)])
  local body = nil
  if "$2" == "POST" then body = string.gsub('$3', "SEQ", tostring(thread_id or 0) .. "-" .. tostring(n) .. "-" .. tostring(os.time())) end
  return wrk.format("$2", path, nil, body)
end
LUA
}
create_body=$(product SEQ | sed 's/"B-SEQ-/"C-SEQ-/g')
enc_channel=$(jq -rn --arg c "$channel" '$c|@uri')
declare -A paths=(
	[expanded-read]="/rest/api/products/IDS?expand=variants,options,optionValues"
	[resolved-read]="/rest/api/products/IDS?expand=variants,options,optionValues&resolveContext%5Bchannel%5D=$enc_channel&resolveContext%5Bcountry%5D=DE"
	[list-50-expanded]="/rest/api/products?itemsPerPage=50&expand=variants,options,optionValues"
	[create-6-variants]="/rest/api/products"
)
# CPU time (clock ticks): the service's, and the whole machine's busy time (the service, PostgreSQL
# and wrk), to show where a run's time goes.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
busy_ticks() { awk '$1 == "cpu" {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
hz=$(getconf CLK_TCK)
printf '\n%-20s %12s %10s %14s %16s %8s\n' "request" "req/s" "p99" "x pgbench -S" "cores: pm / all" "RSS MiB"
printf '%-20s %12.0f %10s %14s\n' "pgbench -S" "$pg_tps" "" "1"
for name in ${BENCH_ONLY:-expanded-read resolved-read list-50-expanded create-6-variants}; do
	method=GET
	[ "$name" = create-6-variants ] && method=POST
	lua "${paths[$name]}" "$method" "$create_body" >"$work/$name.lua"
	all0=$(busy_ticks) pm0=$(ticks "${pids[1]}") t0=$(date +%s.%N)
	profiling=
	if [ -n "${BENCH_PROFILE:-}" ]; then
		mkdir -p "$BENCH_PROFILE"
		seconds=$((${DURATION%s} > 3 ? ${DURATION%s} - 2 : 1)) # within the run (0 would mean pprof's 30 s)
		curl -s "http://127.0.0.1:$DEBUG_PORT/debug/pprof/profile?seconds=$seconds" -o "$BENCH_PROFILE/$name.pprof" &
		profiling=$!
	fi
	out=$(wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/$name.lua" http://127.0.0.1:$PM_PORT 2>&1)
	pm1=$(ticks "${pids[1]}") all1=$(busy_ticks) t1=$(date +%s.%N)
	if [ -n "$profiling" ]; then wait "$profiling" || true; fi
	cores=$(jq -rn --argjson pm "$((pm1 - pm0))" --argjson all "$((all1 - all0))" --argjson t "$(jq -n "$t1 - $t0")" --argjson hz "$hz" \
		'"\($pm / $hz / $t * 100 | round / 100) / \($all / $hz / $t * 100 | round / 100)"')
	rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out")
	p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
	errors=$(sed -n 's/^  Non-2xx or 3xx responses: *//p' <<<"$out")
	rss=$(ps -o rss= -p "${pids[1]}" | awk '{printf "%.0f", $1/1024}')
	printf '%-20s %12.0f %10s %14.4f %16s %8s%s\n' "$name" "$rps" "$p99" "$(jq -n "$rps / $pg_tps")" "$cores" "$rss" "${errors:+  ($errors non-2xx!)}"
done
rss=$(ps -o rss= -p "${pids[1]}" | awk '{printf "%.0f", $1/1024}')
echo "product-management RSS after the run: ${rss} MiB"
