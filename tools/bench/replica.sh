#!/usr/bin/env bash
# Sourced by http.sh after its runs (BENCH_REPLICA=0 skips it): product-management on a private
# primary with one streaming standby, both started here from the machine's PostgreSQL binaries on
# ports 18432 and 18433 (fsync off, as the test clusters). Prints, measured one after another in
# this run: `pgbench -S` on the primary and on the standby, the expanded read (wrk) with every
# read on the primary and with DATABASE_READ_URLS naming the standby (and the share the standby
# served), and the write-then-read latency: a create, then at once its read by the same client
# without a token (which waits for the standby to replay the create, or goes to the primary).
# Needs the variables and functions of stack.sh.
pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -x "$pgbin/initdb" ] || pgbin=$(dirname "$(command -v initdb || command -v pg_ctl)")
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pgdir=$(mktemp -d /tmp/flowkiwi-bench-replica.XXXXXX)
chmod 755 "$pgdir"
[ "$(id -u)" = 0 ] && chown postgres: "$pgdir"
P_PORT=18432 S_PORT=18433 R_PM_PORT=18082
stop_replica_stack() {
	[ -n "${r_pm:-}" ] && kill "$r_pm" 2>/dev/null
	for d in standby primary; do as_pg "$pgbin/pg_ctl" -D "$pgdir/$d" -m immediate stop >/dev/null 2>&1 || true; done
	rm -rf "$pgdir"
}
trap 'stop_replica_stack; cleanup' EXIT

as_pg "$pgbin/initdb" -D "$pgdir/primary" -A trust -U postgres >/dev/null
cat >>"$pgdir/primary/postgresql.conf" <<CONF
port = $P_PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$pgdir'
max_connections = 200
shared_buffers = 256MB
fsync = off
full_page_writes = off
synchronous_commit = on
CONF
echo "host replication all 127.0.0.1/32 trust" >>"$pgdir/primary/pg_hba.conf"
as_pg "$pgbin/pg_ctl" -D "$pgdir/primary" -l "$pgdir/primary.log" -w start >/dev/null
R_SERVER="postgres://postgres@127.0.0.1:$P_PORT"
psql "$R_SERVER/postgres" -qc "create database pm" -qc "create database pgbench" >/dev/null
pgbench -q -i -s 10 "$R_SERVER/pgbench?sslmode=disable" >/dev/null 2>&1
as_pg "$pgbin/pg_basebackup" -h 127.0.0.1 -p $P_PORT -U postgres -D "$pgdir/standby" -R -X stream >/dev/null
sed -i "s/^port = $P_PORT/port = $S_PORT/" "$pgdir/standby/postgresql.conf"
as_pg "$pgbin/pg_ctl" -D "$pgdir/standby" -l "$pgdir/standby.log" -w start >/dev/null
S_SERVER="postgres://postgres@127.0.0.1:$S_PORT"

start_replica_pm() { # $1: DATABASE_READ_URLS
	[ -n "${r_pm:-}" ] && { kill "$r_pm"; wait "$r_pm" 2>/dev/null || true; }
	DATABASE_URL="$R_SERVER/pm?sslmode=disable" DATABASE_READ_URLS="$1" HTTP_ADDR=127.0.0.1:$R_PM_PORT \
		IDENTITY_URL=http://127.0.0.1:$ID_PORT bin/product-management serve 2>>"$work/pm-replica.log" &
	r_pm=$!
	wait_ready product-management $R_PM_PORT "$work/pm-replica.log"
}
start_replica_pm ""
channel=$(pm http://127.0.0.1:$R_PM_PORT/rest/api/channels -d '{"code":"web","name":"Web","currency":"EUR","countries":["DE"]}' | jq -r '."@id"')
export channel R_PM_PORT
echo "seeding the primary with a standby: 1,000 products x 6 variants x 2 prices..." >&2
seq 1 1000 | xargs -P 4 -I{} bash -c 'pm http://127.0.0.1:$R_PM_PORT/rest/api/products -d "$(product {})" | jq -r .id' >"$work/ids"
[ "$(wc -l <"$work/ids")" = 1000 ] || { echo "seeding failed" >&2; tail -5 "$work/pm-replica.log" >&2; exit 1; }
psql "$R_SERVER/pm" -qc analyze

tps() { pgbench -n -S -c 8 -j 2 -T "${DURATION%s}" -M prepared "$1/pgbench?sslmode=disable" 2>/dev/null | sed -n 's/^tps = \([0-9.]*\).*/\1/p' | head -1; }
primary_tps=$(tps "$R_SERVER")
standby_tps=$(tps "$S_SERVER")
lua "${paths[expanded-read]}" GET "" >"$work/replica-read.lua"
expanded() { wrk -t2 -c"$CONNS" -d"$DURATION" --latency -s "$work/replica-read.lua" http://127.0.0.1:$R_PM_PORT 2>&1; }
reads_by_server() { curl -s "http://127.0.0.1:$R_PM_PORT/metrics" | sed -n 's/^db_reads_total{server="\([^"]*\)"} \(.*\)/\1=\2/p' | tr '\n' ' '; }
# write_then_read N: N creates, each read back at once by the same client without a token; prints
# the read's median and p99 (ms) and how many reads missed their product.
write_then_read() {
	local lat=() missed=0 n id t
	for n in $(seq 1 "$1"); do
		id=$(pm http://127.0.0.1:$R_PM_PORT/rest/api/products -d "$(product "wtr-$RANDOM-$n" | sed 's/"B-/"W-/g')" | jq -r .id)
		t=$(pmc -o /dev/null -w '%{http_code} %{time_total}' "http://127.0.0.1:$R_PM_PORT/rest/api/products/$id?expand=variants,options,optionValues" || true)
		[ "${t%% *}" = 200 ] || missed=$((missed + 1))
		lat+=("${t#* }")
	done
	printf '%s\n' "${lat[@]}" | sort -n | awk -v missed="$missed" '{a[NR] = $1} END {printf "median %.1f ms, p99 %.1f ms, %d of %d stale", a[int(NR / 2) + 1] * 1000, a[int(NR * 0.99)] * 1000, missed, NR}'
}

out=$(expanded)
rps_primary=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out") p99_primary=$(awk '$1 == "99%" {print $2}' <<<"$out")
wtr_primary=$(write_then_read 200)
start_replica_pm "$S_SERVER/pm?sslmode=disable"
sleep 1 # the router's first polls: the standby joins the rotation
before=$(reads_by_server)
out=$(expanded)
rps_standby=$(sed -n 's/^Requests\/sec: *\([0-9.]*\)/\1/p' <<<"$out") p99_standby=$(awk '$1 == "99%" {print $2}' <<<"$out")
after=$(reads_by_server)
wtr_standby=$(write_then_read 200)

printf '\nOne primary and one streaming standby on this machine (ports %s, %s; fsync off):\n' $P_PORT $S_PORT
printf '%-42s %12s %10s %14s\n' "" "req/s" "p99" "x primary -S"
printf '%-42s %12.0f %10s %14s\n' "pgbench -S, primary" "$primary_tps" "" "1"
printf '%-42s %12.0f %10s %14.3f\n' "pgbench -S, standby" "$standby_tps" "" "$(jq -n "$standby_tps / $primary_tps")"
printf '%-42s %12.0f %10s %14.4f\n' "expanded-read, every read on the primary" "$rps_primary" "$p99_primary" "$(jq -n "$rps_primary / $primary_tps")"
printf '%-42s %12.0f %10s %14.4f\n' "expanded-read, reads on the standby" "$rps_standby" "$p99_standby" "$(jq -n "$rps_standby / $primary_tps")"
echo "  reads routed by server (db_reads_total) before: ${before:-none}; after: $after"
echo "write-then-read (same client, no token), read latency: primary only: $wtr_primary; with the standby: $wtr_standby"
