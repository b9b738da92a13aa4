#!/usr/bin/env bash
# `make bench-import`: catalog sync at bulk speed, with its denominators measured in the same run on
# this machine. Starts identity and product-management from bin/ on fresh databases and prints:
# - the single 6-variant create's rate (wrk, BENCH_DURATION) and a plain COPY of the rows of
#   BENCH_PRODUCTS products x 6 variants x 2 prices into the catalog's tables (the database's limit);
# - importing those products from NDJSON files (two of BENCH_PRODUCTS/2 lines: a file is at most
#   100 MB), in products/s and against both: the first file alone, the second while wrk reads;
# - meanwhile: the expanded read's rate during the second file against its rate before, the
#   feed's lag (a probe change's time from its 200 until the feed lists it) and the service's peak
#   RSS over both files;
# - importing the same files again (unchanged lines write nothing) against the first import;
# - the export of every product against walking them with cursor pages of 100.
# BENCH_PRODUCTS (100000), BENCH_DURATION (10s) and BENCH_CONNECTIONS (32) change the run;
# BENCH_PROFILE=DIR writes the service's CPU profile of 20 s of the import and of the re-import to
# DIR/import.pprof and DIR/reimport.pprof, and its heap after the first file to
# DIR/import-heap.pprof. BENCH_STATEMENTS=1 prints the import's and the re-import's costliest
# statements (needs pg_stat_statements in shared_preload_libraries).
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${BENCH_PRODUCTS:-100000}
DURATION=${BENCH_DURATION:-10s}
CONNS=${BENCH_CONNECTIONS:-32}
for bin in wrk psql jq curl awk; do command -v $bin >/dev/null || { echo "bench-import needs $bin (Debian: apt-get install wrk postgresql-client jq curl gawk)" >&2; exit 1; }; done
# shellcheck source=stack.sh
source tools/bench/stack.sh import
PM="http://127.0.0.1:$PM_PORT"
now() { date +%s.%N; }
rate() { jq -n "$1 / ($3 - $2) | floor"; } # count start end
ratio() { jq -n "$1 / $2 * 100 | round / 100"; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/${pids[1]}/status"; }
profile() { # name: 20 s of the service's CPU, in the background
	[ -n "${BENCH_PROFILE:-}" ] || return 0
	mkdir -p "$BENCH_PROFILE"
	curl -s "http://127.0.0.1:$DEBUG_PORT/debug/pprof/profile?seconds=20" -o "$BENCH_PROFILE/$1.pprof" &
}

# The files: each line a product in the import's shape, 6 variants with a base and a channel price.
half=$((N / 2))
for part in 1 2; do
	awk -v from=$(((part - 1) * half + 1)) -v to=$((part * half)) 'BEGIN {
		split("XS S M L XL XXL", sizes, " ")
		for (i = from; i <= to; i++) {
			printf "{\"key\":\"P%d\",\"title\":\"Tee %d\",\"options\":[{\"name\":\"Size\",\"values\":[\"XS\",\"S\",\"M\",\"L\",\"XL\",\"XXL\"]}],\"variants\":[", i, i
			for (j = 1; j <= 6; j++) {
				printf "%s{\"sku\":\"P%d-%s\",\"optionValues\":[{\"option\":\"Size\",\"value\":\"%s\"}],\"prices\":[{\"currency\":\"EUR\",\"amount\":\"19.99\"},{\"currency\":\"EUR\",\"amount\":\"17.99\",\"channel\":\"/rest/api/channels/code=web\"}]}", (j > 1 ? "," : ""), i, sizes[j], sizes[j]
			}
			print "]}"
		}
	}' >"$work/part$part.ndjson"
done
echo "files: $N products in 2 files of $(du -m "$work/part1.ndjson" | cut -f1) MB" >&2

# The single create, and reads to measure during the import (on 1,000 products made for them).
export -f product pm pmc
export auth host org channel PM_PORT
seq 1 1000 | xargs -P 4 -I{} bash -c 'pm http://127.0.0.1:$PM_PORT/rest/api/products -d "$(product {})" | jq -r .id' >"$work/ids"
psql "$PM_DB" -qc analyze
wrk_rps() { # name path method body
	lua "$2" "$3" "${4:-}" >"$work/$1.lua"
	wrk -t2 -c"$CONNS" -d"$DURATION" -s "$work/$1.lua" "$PM" 2>&1 | sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p'
}
create_body=$(product SEQ | sed 's/"B-SEQ-/"C-SEQ-/g')
create_rps=$(wrk_rps create /rest/api/products POST "$create_body")
read_path="/rest/api/products/IDS?expand=variants,options,optionValues"
read_rps=$(wrk_rps read "$read_path" GET)

# COPY of the same rows into the same tables, for another instance (ids made up in order).
copy_instance=00000000-0000-7000-8000-00000000c0b1
channel_id=$(basename "$channel")
awk -v n=$N -v inst=$copy_instance -v dir="$work" -v chan="$channel_id" 'BEGIN {
	split("XS S M L XL XXL", sizes, " ")
	for (i = 1; i <= n; i++) {
		p = sprintf("00000000-0000-7001-8000-%012x", i); o = sprintf("00000000-0000-7002-8000-%012x", i)
		printf "%s,%s,P%d\n", inst, p, i > dir "/products.csv"
		printf "%s,%s,en,Tee %d\n", inst, p, i > dir "/translations.csv"
		printf "%s,%s,%s,0\n", inst, o, p > dir "/options.csv"
		printf "%s,%s,en,Size\n", inst, o > dir "/option_names.csv"
		for (j = 1; j <= 6; j++) {
			k = (i - 1) * 6 + j
			v = sprintf("00000000-0000-7003-8000-%012x", k); x = sprintf("00000000-0000-7004-8000-%012x", k)
			printf "%s,%s,%s,%s,%d\n", inst, v, o, p, j - 1 > dir "/values.csv"
			printf "%s,%s,en,%s\n", inst, v, sizes[j] > dir "/value_labels.csv"
			printf "%s,%s,%s,P%d-%s,%d,%s\n", inst, x, p, i, sizes[j], j - 1, v > dir "/variants.csv"
			printf "%s,%s,%s,%s\n", inst, x, v, p > dir "/variant_values.csv"
			printf "%s,%s,1,%s,%s,,EUR,1999,f,2026-01-01\n", inst, sprintf("00000000-0000-7005-8000-%012x", 2 * k), x, p > dir "/prices.csv"
			printf "%s,%s,1,%s,%s,%s,EUR,1799,f,2026-01-01\n", inst, sprintf("00000000-0000-7005-8000-%012x", 2 * k + 1), x, p, chan > dir "/prices.csv"
		}
	}
}'
psql "$PM_DB" -qc "insert into channels (instance_id, id, code, name, currency) values ('$copy_instance', '$channel_id', 'web', 'Web', 'EUR')"
t0=$(now)
psql "$PM_DB" -q -v ON_ERROR_STOP=1 \
	-c "\\copy products (instance_id, id, key) from '$work/products.csv' csv" \
	-c "\\copy product_translations (instance_id, product_id, locale, title) from '$work/translations.csv' csv" \
	-c "\\copy product_options (instance_id, id, product_id, position) from '$work/options.csv' csv" \
	-c "\\copy product_option_translations (instance_id, option_id, locale, name) from '$work/option_names.csv' csv" \
	-c "\\copy option_values (instance_id, id, option_id, product_id, position) from '$work/values.csv' csv" \
	-c "\\copy option_value_translations (instance_id, value_id, locale, value) from '$work/value_labels.csv' csv" \
	-c "\\copy variants (instance_id, id, product_id, sku, position, combination) from '$work/variants.csv' csv" \
	-c "\\copy variant_option_values (instance_id, variant_id, option_value_id, product_id) from '$work/variant_values.csv' csv" \
	-c "\\copy prices (instance_id, id, revision, variant_id, product_id, channel_id, currency, amount, dated, starts_at) from '$work/prices.csv' csv"
t1=$(now)
copy_rate=$(rate "$N" "$t0" "$t1")

# The import, with reads, a feed probe and RSS watched meanwhile.
probe=$(pm "$PM/rest/api/products" -d '{"key":"PROBE","title":"probe 0"}' | jq -r .id)
feed=$(pm "$PM/rest/api/events?type=product.updated" | jq -r '.view.next')
import_file() { pmc -H 'Content-Type: application/x-ndjson' --data-binary "@$1" "$PM/rest/api/imports" | jq -r '."@id"'; }
wait_import() { # import IRI: until it ends; prints its counts
	while :; do
		im=$(pm "$PM$1")
		case $(jq -r .status <<<"$im") in completed | failed | canceled) jq -c '{status, lines, created, updated, unchanged, rejected}' <<<"$im"; return ;; esac
		sleep 0.2
	done
}
watch() { # while the import runs: the feed's lag after each probe change, and the peak RSS
	local n=0 lag=0 peak=0
	while [ ! -e "$work/imported" ]; do
		n=$((n + 1))
		pmc -X PATCH -H 'Content-Type: application/merge-patch+json' "$PM/rest/api/products/$probe" -d "{\"title\":\"probe $n\"}" >/dev/null
		local sent seen
		sent=$(now)
		while :; do # follow the feed (product.updated: the probe's events only) until the probe's
			local page
			page=$(pm "$PM$feed")
			feed=$(jq -r '.view.next' <<<"$page")
			jq -e --arg t "probe $n" '.member[] | select(.data.title == $t)' <<<"$page" >/dev/null && break
			sleep 0.01
		done
		seen=$(now)
		lag=$(jq -n "[$lag, $seen - $sent] | max")
		peak=$(jq -n "[$peak, $(rss_kib)] | max")
		sleep 0.5
	done
	echo "$lag $peak $n" >"$work/watched"
}
statements() { # title: the costliest statements since the last call, if asked for
	[ -n "${BENCH_STATEMENTS:-}" ] || return 0
	[ "$1" = reset ] || { echo "$1:"; psql "$PM_DB" -Atc "select lpad(round(total_exec_time)::text, 7) || ' ms ' || lpad(calls::text, 6) || ' calls  ' ||
		left(regexp_replace(query, '\s+', ' ', 'g'), 110) from pg_stat_statements where dbid = (select oid from pg_database where datname = current_database())
		order by total_exec_time desc limit 15"; } >&2
	psql "$PM_DB" -qc "create extension if not exists pg_stat_statements" -c "select pg_stat_statements_reset()" >/dev/null
}
rm -f "$work/imported"
statements reset
watch &
watcher=$!
# The first file alone gives the import's rate; the second is imported while wrk reads (the
# reads' rate during an import, and the import's rate while it shares the machine with them).
t0=$(now)
first=$(import_file "$work/part1.ndjson")
profile import
counts1=$(wait_import "$first")
t1=$(now)
[ -z "${BENCH_PROFILE:-}" ] || curl -s "http://127.0.0.1:$DEBUG_PORT/debug/pprof/heap" -o "$BENCH_PROFILE/import-heap.pprof"
second=$(import_file "$work/part2.ndjson")
sleep 2
during_rps=$(wrk_rps read-during "$read_path" GET)
counts2=$(wait_import "$second")
t2=$(now)
touch "$work/imported"
wait "$watcher"
read -r lag peak probes <"$work/watched"
import_rate=$(rate "$half" "$t0" "$t1")
shared_rate=$(rate "$((N - half))" "$t1" "$t2")
statements "the import's costliest statements"

# The same files again: every line unchanged.
t0=$(now)
profile reimport
counts3=$(wait_import "$(import_file "$work/part1.ndjson")")
counts4=$(wait_import "$(import_file "$work/part2.ndjson")")
t1=$(now)
reimport_rate=$(rate "$N" "$t0" "$t1")
statements "the re-import's costliest statements"

# The export, against walking the products with cursor pages of 100.
total=$((N + 1001))
t0=$(now)
export_iri=$(pm "$PM/rest/api/exports" -d '{}' | jq -r '."@id"')
until [ "$(pm "$PM$export_iri" | jq -r .status)" = completed ]; do sleep 0.2; done
pm "$PM$export_iri/download" -o "$work/export.ndjson"
t1=$(now)
export_rate=$(rate "$total" "$t0" "$t1")
exported=$(wc -l <"$work/export.ndjson")
t0=$(now)
next="/rest/api/products?cursor=first&itemsPerPage=100&expand=variants,options,optionValues"
walked=0
while [ -n "$next" ]; do
	page=$(pm "$PM$next")
	got=$(jq '.member | length' <<<"$page")
	walked=$((walked + got))
	[ "$got" = 0 ] && break
	next=$(jq -r '.view.next // empty' <<<"$page")
done
t1=$(now)
walk_rate=$(rate "$walked" "$t0" "$t1")

printf '\n%-44s %14s %s\n' "measure" "products/s" "ratio"
printf '%-44s %14.0f\n' "single 6-variant create (wrk, $CONNS conns)" "$create_rps"
printf '%-44s %14s\n' "COPY of the same rows (psql \\copy)" "$copy_rate"
printf '%-44s %14s %s\n' "import, first $half lines" "$import_rate" "x$(ratio "$import_rate" "$create_rps") the create (aim 4), x$(ratio "$import_rate" "$copy_rate") COPY (aim 0.3)"
printf '%-44s %14s %s\n' "import, last $((N - half)) lines, beside wrk reads" "$shared_rate" "x$(ratio "$shared_rate" "$create_rps") the create, x$(ratio "$shared_rate" "$copy_rate") COPY"
printf '%-44s %14s %s\n' "re-import unchanged" "$reimport_rate" "x$(ratio "$reimport_rate" "$import_rate") the import (aim 10)"
printf '%-44s %14s %s\n' "export ($exported lines)" "$export_rate" "x$(ratio "$export_rate" "$walk_rate") the walk (aim 3)"
printf '%-44s %14s\n' "cursor walk, pages of 100 ($walked products)" "$walk_rate"
printf '\nexpanded read: %.0f req/s before the import, %.0f during (x%s, aim 0.5)\n' "$read_rps" "$during_rps" "$(ratio "$during_rps" "$read_rps")"
printf 'feed lag during the import: at most %.3f s over %s probes (aim 1 s); peak RSS %s MiB (aim 200)\n' "$lag" "$probes" "$((${peak%.*} / 1024))"
printf 'imports: %s %s; again: %s %s\n' "$counts1" "$counts2" "$counts3" "$counts4"
