#!/usr/bin/env bash
# The aggregate benchmark: 10M rows into 1M groups, dsbuild vs DuckDB.
#
#   bench/aggregate/run.sh                      # 10M rows, 1M groups, 3 samples
#   ROWS=1000000 NGROUPS=100000 RUNS=2 bench/aggregate/run.sh
#   KEEP=1 bench/aggregate/run.sh               # keep the generated data
#   OP=sort bench/aggregate/run.sh              # sort 10M rows by a unique scattered key instead
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/bench/aggregate
ROWS=${ROWS:-10000000}
OP=${OP:-aggregate}
if [[ "$OP" == sort ]]; then NGROUPS=${NGROUPS:-$ROWS}; else NGROUPS=${NGROUPS:-1000000}; fi
RUNS=${RUNS:-3}
WORK=$ROOT/bench/work/aggregate
DATA=$WORK/data-$ROWS-$NGROUPS
RUN=$WORK/run
BIN=$WORK/bin
cleanup() {
	if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK" >&2; else rm -rf "$RUN" "$BIN" "$DATA"; rmdir "$WORK" 2>/dev/null || true; fi
}
trap cleanup EXIT
mkdir -p "$BIN" "$WORK"
rm -rf "$RUN"
mkdir -p "$RUN"
echo "== building dsbuild and the bench binary (links libduckdb)" >&2
(cd "$ROOT" && go build -o "$BIN/dsbuild" ./cmd/dsbuild)
(cd "$HERE" && go build -o "$BIN/aggregate" .)
if [[ ! -f "$DATA/meta.json" ]]; then
	echo "== generating $ROWS rows in $NGROUPS groups" >&2
	"$BIN/aggregate" gen -rows "$ROWS" -groups "$NGROUPS" -out "$DATA"
fi
"$BIN/aggregate" -data "$DATA" -work "$RUN" -dsbuild "$BIN/dsbuild" -runs "$RUNS" -op "$OP"
