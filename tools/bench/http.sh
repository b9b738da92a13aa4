#!/usr/bin/env bash
# `make bench-http`: throughput of product-management as a storefront sees it, against PostgreSQL's
# own speed in the same run. Starts identity and product-management from bin/ on fresh databases
# (rate limiting off), seeds 1,000 products x 6 variants x 2 prices in one channel, then measures,
# one after another on this machine: `pgbench -S` (one primary-key select, no TLS, as the services
# connect) and, with wrk, the expanded read, the resolved read, the 50-item expanded list and the
# 6-variant create. Prints req/s, p99, each ratio to pgbench -S, the cores the service and the
# whole machine used meanwhile, and the service's RSS after each.
# Then the same with one primary and one standby (replica.sh; BENCH_REPLICA=0 skips it).
# BENCH_ONLY="expanded-read list-50-expanded" runs only those; BENCH_PROFILE=DIR also writes the service's CPU profile of each run to DIR/NAME.pprof.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
for bin in wrk pgbench psql jq curl; do command -v $bin >/dev/null || { echo "bench-http needs $bin (Debian: apt-get install wrk postgresql-client jq curl)" >&2; exit 1; }; done
# shellcheck source=stack.sh
source tools/bench/stack.sh http
psql "$SERVER/postgres" -qc "drop database if exists flowkiwi_bench_pgbench with (force)" -qc "create database flowkiwi_bench_pgbench" >/dev/null
pgbench -q -i -s 10 "$SERVER/flowkiwi_bench_pgbench?sslmode=disable" >/dev/null 2>&1

export -f product pm pmc
export auth host org channel PM_PORT
echo "seeding 1,000 products x 6 variants x 2 prices..." >&2
seq 1 1000 | xargs -P 4 -I{} bash -c 'pm http://127.0.0.1:$PM_PORT/rest/api/products -d "$(product {})" | jq -r .id' >"$work/ids"
[ "$(wc -l <"$work/ids")" = 1000 ] || { echo "seeding failed" >&2; tail -5 "$work/pm.log" >&2; exit 1; }
# Fresh statistics, as autovacuum would have gathered on a catalog that grew over time (it is off on
# some servers, and without statistics the planner walks the tenant's whole index for each lookup).
psql "$PM_DB" -qc analyze

pg_tps=$(pgbench -n -S -c 8 -j 2 -T "${DURATION%s}" -M prepared "$SERVER/flowkiwi_bench_pgbench?sslmode=disable" 2>/dev/null |
	sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1)

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
# With a streaming standby (BENCH_REPLICA=0 skips it).
if [ "${BENCH_REPLICA:-1}" != 0 ]; then
	# shellcheck source=replica.sh
	source tools/bench/replica.sh
fi
