# Sourced by the bench scripts: starts identity and product-management from bin/ on fresh databases
# (rate limiting off) and makes a partner, an organization and the instance bench-shop. Sets
# SERVER, work (a temporary directory, removed on exit), pids (identity, product-management), auth,
# org, host, ID_PORT, PM_PORT, DEBUG_PORT, ID_DB, PM_DB, channel (a channel "web" in EUR for DE),
# and the functions pm (curl to product-management with a JSON body; pmc: of another type), wait_ready, product (a 6-variant create body)
# and lua (a wrk script).
# $1 names the run's databases (flowkiwi_bench_$1_*).
SERVER=${DATABASE_SERVER_URL:-postgres://postgres@127.0.0.1:5432}
ID_PORT=18080
PM_PORT=18081
DEBUG_PORT=18089
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

wait_ready() { # name port log: fail loudly when a service does not become ready in 10 s
	for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return; sleep 0.1; done
	echo "bench: $1 did not become ready on port $2:" >&2; tail -5 "$3" >&2; exit 1
}
export PGOPTIONS="-c client_min_messages=warning"
for db in "flowkiwi_bench_$1_identity" "flowkiwi_bench_$1_pm"; do
	psql "$SERVER/postgres" -qc "drop database if exists $db with (force)" -qc "create database $db" >/dev/null
done
ID_DB="$SERVER/flowkiwi_bench_$1_identity?sslmode=disable"
PM_DB="$SERVER/flowkiwi_bench_$1_pm?sslmode=disable"
export LOG_LEVEL=warn RATE_LIMIT_RPS=0 IDENTITY_KEY_ENCRYPTION_KEYS=
DATABASE_URL="$ID_DB" HTTP_ADDR=127.0.0.1:$ID_PORT IDENTITY_ISSUER=http://127.0.0.1:$ID_PORT bin/identity serve 2>"$work/identity.log" &
pids+=($!)
wait_ready identity $ID_PORT "$work/identity.log"
DATABASE_URL="$PM_DB" HTTP_ADDR=127.0.0.1:$PM_PORT DEBUG_ADDR=${BENCH_PROFILE:+127.0.0.1:$DEBUG_PORT} IDENTITY_URL=http://127.0.0.1:$ID_PORT \
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
pmc() { curl -s --fail-with-body -H "$auth" -H "Host: $host" -H "X-Flowkiwi-Organization-Id: $org" "$@"; }
pm() { pmc -H 'Content-Type: application/json' "$@"; }
channel=$(pm http://127.0.0.1:$PM_PORT/rest/api/channels -d '{"code":"web","name":"Web","currency":"EUR","countries":["DE"]}' | jq -r '."@id"')

product() { # n: a product with 6 variants, each with a base price and a channel price
	jq -cn --arg n "$1" --arg ch "$channel" '{title: ("Bench tee " + $n), vendor: "Bench", tags: "bench",
		options: [{name: "Size", values: ["XS","S","M","L","XL","XXL"]}],
		variants: [["XS","S","M","L","XL","XXL"][] as $s | {sku: ("B-" + $n + "-" + $s), optionValues: [{option: "Size", value: $s}],
			prices: [{currency: "EUR", amount: "19.99"}, {currency: "EUR", amount: "17.99", channel: $ch}]}]}'
}

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
