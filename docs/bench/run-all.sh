#!/usr/bin/env bash
# Runs every measurement of docs/benchmarks.md and prints one line per figure. Each PostgreSQL
# run gets a throwaway database (dompet_bench), dropped afterwards. Load average is printed
# with each figure: on a shared machine, other work steals the same cores.
#
#   docs/bench/run-all.sh                 # everything, 10 s per run
#   DURATION=5s REPEAT=3 ONLY=ledger docs/bench/run-all.sh
#
# Settings: PG (server URL without a database, default postgres://postgres@127.0.0.1:5432),
# DURATION (10s), REPEAT (1: runs of each dompet bench figure; the line shows the median run
# and the range), OUT (/tmp/dompet-bench, where raw results go), ONLY (gotest|ledger|http),
# EXTRA (more flags for dompet bench, e.g. "--concurrency 256"), DOMPET (a dompet binary to use
# instead of building one).
set -euo pipefail
cd "$(dirname "$0")/../.."

PG=${PG:-postgres://postgres@127.0.0.1:5432}
DURATION=${DURATION:-10s}
OUT=${OUT:-/tmp/dompet-bench}
ONLY=${ONLY:-}
REPEAT=${REPEAT:-1}
EXTRA=${EXTRA:-}
mkdir -p "$OUT"
if [ -n "${DOMPET:-}" ]; then cp "$DOMPET" "$OUT/dompet"; else go build -o "$OUT/dompet" ./cmd/dompet; fi

load() { cut -d' ' -f1 /proc/loadavg; }
want() { [ -z "$ONLY" ] || [ "$ONLY" = "$1" ]; }
pgdb() { # creates the throwaway database and prints its URL
	dropdb -h 127.0.0.1 -U postgres --if-exists dompet_bench 2>/dev/null
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
			name="$kind-$store${hot:+-hot}"
			loads=()
			rm -rf "${OUT:?}/$name" && mkdir -p "$OUT/$name"
			for r in $(seq 1 "$REPEAT"); do
				db=()
				[ "$store" = postgres ] && db=(--db "$(pgdb)")
				loads+=("$(load)")
				# shellcheck disable=SC2086
				"$OUT/dompet" bench "$kind" --duration "$DURATION" $hot $EXTRA "${db[@]}" --log-level warn >"$OUT/$name/$r.json"
			done
			jq -rs --arg name "$name" --arg loads "${loads[*]}" '
				map(. + {rate: (.transfers_per_s // .payments_per_s)}) | sort_by(.rate) as $runs
				| $runs[(length - 1) / 2 | floor] as $m
				| "\($name): \($m.rate)/s (range \($runs[0].rate)-\($runs[-1].rate), \($runs | length) runs)"
				  + " p50 \($m.p50_ms) ms p99 \($m.p99_ms) ms, verified \(all(.verify.ok)), load at start \($loads)"' \
				"$OUT/$name"/*.json
		done
	done
done
