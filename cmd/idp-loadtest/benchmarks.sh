#!/usr/bin/env bash
# Runs every measurement of docs/benchmarks.md in one go on this machine:
# the ceilings, then sign-in and refresh runs at 1, 16 and 256 virtual
# users against the provider on SQLite, on PostgreSQL, and against the
# zitadel/oidc example server. Every server listens on 127.0.0.1 only.
#
#   cmd/idp-loadtest/benchmarks.sh [OUT_DIR]
#
# OUT_DIR (default: a new temporary folder) receives one JSON report per
# run and the servers' logs; nothing is written into the repository.
# Needs Go, and PostgreSQL's initdb and postgres (Debian: postgresql).
# Set DURATION (default 15s), USERS (accounts per database, default 1000),
# VUS (default "1 16 256") or MEMORY_VUS (the sign-in run that measures
# memory, default 1000; 0 skips it) to change the runs.
set -euo pipefail
cd "$(dirname "$0")/../.."

out=${1:-$(mktemp -d -t idp-bench-XXXXXX)}
mkdir -p "$out"
duration=${DURATION:-15s}
users=${USERS:-1000}
memory_vus=${MEMORY_VUS:-1000}
if (( memory_vus > users )); then
	echo "MEMORY_VUS ($memory_vus) is above USERS ($users): at most $users sign-ins can be in progress" >&2
fi
vus_list=${VUS:-1 16 256}
bin="$out/bin"
mkdir -p "$bin"
go build -o "$bin/idp" ./cmd/idp
go build -o "$bin/idp-loadtest" ./cmd/idp-loadtest
lt="$bin/idp-loadtest"

pids=()
cleanup() {
	for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
	if [[ -n "${pgdata:-}" ]]; then
		runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -m fast stop >/dev/null 2>&1 || true
	fi
}
trap cleanup EXIT

# wait_ready URL waits until URL responds with 200.
wait_ready() {
	for _ in $(seq 100); do
		curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
		sleep 0.2
	done
	echo "no response from $1 after 20 s" >&2
	return 1
}

# serve NAME DATABASE_URL PORT [FLAGS...] starts idp serve and sets
# server_pid.
serve() {
	local dir="$out/$1" url=$2 port=$3
	shift 3
	mkdir -p "$dir"
	(cd "$dir" && exec "$bin/idp" serve --database-url "$url" --listen "127.0.0.1:$port" \
		--issuer "http://127.0.0.1:$port" --trusted-proxies 127.0.0.1 "$@" >"$dir/serve.out" 2>"$dir/serve.log") &
	server_pid=$!
	pids+=("$server_pid")
	wait_ready "http://127.0.0.1:$port/readyz"
}

# runs NAME PID ARGS... runs the modes in $modes (default: sign-in and
# refresh) at every VU count.
runs() {
	local name=$1 pid=$2
	shift 2
	for mode in ${modes:-signin refresh}; do
		for vus in $vus_list; do
			echo "--- $name $mode $vus VUs"
			"$lt" run "$@" --mode "$mode" --vus "$vus" --duration "$duration" \
				--server-pid "$pid" --json >"$out/$name-$mode-$vus.json"
			jq -c '{flows_per_second, errors, error_samples, account_waits, max_in_flight, server_cpu_ms_per_flow, server_peak_rss_mib, load_average,
				steps: (.steps | map_values({P50, P90, P99}))}' "$out/$name-$mode-$vus.json"
		done
	done
}

# memory NAME PID runs $memory_vus concurrent sign-ins, one account each,
# and reports the server's peak memory. Accounts whose TOTP step the runs
# before used wait for the next step, so some sign-ins start later.
memory() {
	[[ $memory_vus -gt 0 ]] || return 0
	echo "--- $1 memory, $memory_vus VUs"
	vus_list=$memory_vus modes=signin runs "$1-memory" "$2" --accounts "$out/$1/accounts.json" --forwarded-for
}

echo "--- ceilings"
"$lt" ceilings --duration 5s --json | tee "$out/ceilings.json"

echo "--- sqlite"
serve sqlite "sqlite://$out/sqlite/idp.db" 18101
"$lt" enrol --database-url "sqlite://$out/sqlite/idp.db" --issuer http://127.0.0.1:18101 \
	--users "$users" --out "$out/sqlite/accounts.json"
runs sqlite "$server_pid" --accounts "$out/sqlite/accounts.json" --forwarded-for
memory sqlite "$server_pid"
kill "$server_pid"

echo "--- sqlite with ES256 signing keys (refresh only)"
serve sqlite-es256 "sqlite://$out/sqlite-es256/idp.db" 18104 --signing-alg ES256
"$lt" enrol --database-url "sqlite://$out/sqlite-es256/idp.db" --issuer http://127.0.0.1:18104 \
	--users "$(( ${vus_list##* } + 4 ))" --out "$out/sqlite-es256/accounts.json"
modes=refresh runs sqlite-es256 "$server_pid" --accounts "$out/sqlite-es256/accounts.json" --forwarded-for
kill "$server_pid"

echo "--- postgres"
pgbin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | tail -1)")
pgdata="$out/pg/data"
mkdir -p "$out/pg" && chown postgres "$out/pg"
runuser -u postgres -- "$pgbin/initdb" -D "$pgdata" -A trust -U postgres >/dev/null
runuser -u postgres -- "$pgbin/pg_ctl" -D "$pgdata" -l "$out/pg/log" \
	-o "-k $out/pg -c listen_addresses= -p 5499 -c max_connections=200" start >/dev/null
sleep 1
runuser -u postgres -- "$pgbin/createdb" -h "$out/pg" -p 5499 idp
pgurl="postgres:///idp?host=$out/pg&port=5499&user=postgres&sslmode=disable"
serve postgres "$pgurl" 18102
"$lt" enrol --database-url "$pgurl" --issuer http://127.0.0.1:18102 \
	--users "$users" --out "$out/postgres/accounts.json"
runs postgres "$server_pid" --accounts "$out/postgres/accounts.json" --forwarded-for
memory postgres "$server_pid"
kill "$server_pid"

echo "--- zitadel/oidc example server"
"$lt" example --listen 127.0.0.1:18103 2>"$out/example.log" &
example_pid=$!
pids+=("$example_pid")
wait_ready "http://127.0.0.1:18103/.well-known/openid-configuration"
runs example "$example_pid" --target example --issuer http://127.0.0.1:18103/

# The summary tables of docs/benchmarks.md, from the reports.
{
	echo "| server | mode | VUs | flows/s | errors | in progress at most | CPU ms/flow | peak RSS MiB | p50 / p90 / p99 ms per step |"
	echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
	for name in sqlite postgres example sqlite-es256 sqlite-memory postgres-memory; do
		for mode in signin refresh; do
			for vus in $vus_list $memory_vus; do
				[[ -f "$out/$name-$mode-$vus.json" ]] || continue
				jq -r --arg n "$name" --arg m "$mode" --arg v "$vus" '
					"| \($n) | \($m) | \($v) | \(.flows_per_second * 10 | round / 10) | \(.errors | add // 0) | \(.max_in_flight) | \((.server_cpu_ms_per_flow // 0) * 10 | round / 10) | \(.server_peak_rss_mib | round) | " +
					([("authorize", "password", "totp", "exchange", "verify", "refresh") as $k | select(.steps[$k]) |
						"\($k) \(.steps[$k].P50 * 10 | round / 10)/\(.steps[$k].P90 * 10 | round / 10)/\(.steps[$k].P99 * 10 | round / 10)"] | join(", ")) + " |"
				' "$out/$name-$mode-$vus.json"
			done
		done
	done
} | tee "$out/summary.md"
echo "reports in $out"
