#!/usr/bin/env bash
# Prepares a running `dompet serve` for docs/bench/payments.lua: creates merchants with
# `dompet merchant create` (on the same store as the server), registers, logs in and tops up
# users through the API, and writes one "<token> <merchant id>" line per user.
#
#   DB=sqlite:/tmp/wrk/dompet.db USERS=50 MERCHANTS=10 docs/bench/wrk-setup.sh > /tmp/wrk/tokens.txt
#
# Settings (environment): URL (default http://127.0.0.1:8080), DB (the server's --db, required),
# DOMPET (the binary, default ./dompet), USERS (50), MERCHANTS (10; 1 for the hot-merchant case).
# Registration uses the production password hashing, about 0.2 s per user on a small machine.
set -euo pipefail

URL=${URL:-http://127.0.0.1:8080}
DOMPET=${DOMPET:-./dompet}
USERS=${USERS:-50}
MERCHANTS=${MERCHANTS:-10}
: "${DB:?set DB to the --db of the running server}"
PASSWORD='Wrk-bench-2026!'
run=$(date +%s)

merchants=()
for i in $(seq 1 "$MERCHANTS"); do
	merchants+=("$("$DOMPET" merchant create --db "$DB" --name "wrk merchant $i" --log-level error | jq -r .id)")
done

post() { # path, json body, [token], [idempotency key] → body on stdout; fails on HTTP >= 400
	local args=(-fsS -X POST "$URL$1" -H 'Content-Type: application/json' -d "$2")
	[ -n "${3:-}" ] && args+=(-H "Authorization: Bearer $3")
	[ -n "${4:-}" ] && args+=(-H "Idempotency-Key: $4")
	curl "${args[@]}"
}

for i in $(seq 1 "$USERS"); do
	email="wrk-$run-$i@bench.localhost"
	phone=$(printf '+6289%05d%05d' $((run % 100000)) "$i")
	post /api/v1/auth/register "{\"phone\":\"$phone\",\"email\":\"$email\",\"password\":\"$PASSWORD\",\"display_name\":\"wrk user $i\"}" >/dev/null
	token=$(post /api/v1/auth/login "{\"login\":\"$email\",\"password\":\"$PASSWORD\",\"device_id\":\"wrk\"}" | jq -r .token)
	post /api/v1/topups '{"amount":100000000,"currency":"IDR","source":{"type":"bank_transfer","reference":"wrk"}}' "$token" "wrk-topup-$run-$i" >/dev/null
	echo "$token ${merchants[$(( (i - 1) % MERCHANTS ))]}"
done
