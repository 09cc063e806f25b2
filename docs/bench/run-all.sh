#!/usr/bin/env bash
# Runs every measurement of docs/benchmarks.md and prints one line per figure. Each PostgreSQL
# run gets a throwaway database (dompet_bench), dropped afterwards. Load average is printed
# with each figure: on a shared machine, other work steals the same cores.
#
#   docs/bench/run-all.sh                 # everything, 10 s per run
#   DURATION=5s ONLY=ledger docs/bench/run-all.sh
#
# Settings: PG (server URL without a database, default postgres://postgres@127.0.0.1:5432),
# DURATION (10s), OUT (/tmp/dompet-bench, where raw results go), ONLY (gotest|ledger|http).
set -euo pipefail
cd "$(dirname "$0")/../.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
OUT=${OUT:-/tmp/dompet-bench}
ONLY=${ONLY:-}
mkdir -p "$OUT"
go build -o "$OUT/dompet" ./cmd/dompet

load() { cut -d' ' -f1 /proc/loadavg; }
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
pgdb() { # creates the throwaway database and prints its URL
	dropdb -h 127.0.0.1 -U postgres --if-exists dompet_bench
	createdb -h 127.0.0.1 -U postgres dompet_bench
	echo "$PG/dompet_bench?sslmode=disable"
}
trap 'dropdb -h 127.0.0.1 -U postgres --if-exists dompet_bench || true' EXIT

if want gotest; then
	for store in sqlite postgres; do
		env=()
		[ "$store" = postgres ] && env=(DOMPET_TEST_DB="$PG/test?sslmode=disable")
		echo "# go test BenchmarkTransfer on $store (load $(load))"
		env "${env[@]}" go test -run='^$' -bench=BenchmarkTransfer -benchtime=5s ./internal/ledger/ |
			tee "$OUT/gotest-$store.txt" | grep Benchmark || true
	done
fi

for kind in ledger http; do
	want "$kind" || continue
	for store in sqlite postgres; do
		for hot in "" --hot; do
			db=()
			[ "$store" = postgres ] && db=(--db "$(pgdb)")
			name="$kind-$store${hot:+-hot}"
			before=$(load)
			"$OUT/dompet" bench "$kind" --duration "$DURATION" $hot "${db[@]}" --log-level warn >"$OUT/$name.json"
			jq -r --arg name "$name" --arg load "$before" \
				'"\($name): \(.transfers_per_s // .payments_per_s)/s p50 \(.p50_ms) ms p99 \(.p99_ms) ms, verify ok=\(.verify.ok), load \($load)"' \
				"$OUT/$name.json"
		done
	done
done
