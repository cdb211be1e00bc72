#!/usr/bin/env bash
# The 10M-row filter benchmark: dsbuild vs DuckDB vs a naive arrow-go
# pipeline, side by side in one run.
#
#   bench/filter/run.sh                  # 10M rows, 3 samples per engine
#   ROWS=1000000 RUNS=5 bench/filter/run.sh
#   KEEP=1 bench/filter/run.sh           # keep the generated data and store
#
# Builds dsbuild and the bench binaries into bench/work/filter/bin, generates
# the data into bench/work/filter/data-$ROWS unless it is there already
# (Arrow IPC stream ~2.3 GB + Parquet for 10M rows), runs the driver (see
# main.go), prints the table. Everything under bench/work/ is git-ignored;
# the dsbuild store, project and outputs live in bench/work/filter/run and
# are removed at the end, as is the data unless KEEP=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/bench/filter
ROWS=${ROWS:-10000000}
RUNS=${RUNS:-3}
MAX_EMPATHY=${MAX_EMPATHY:-3}
WORK=$ROOT/bench/work/filter
DATA=$WORK/data-$ROWS
RUN=$WORK/run
BIN=$WORK/bin

cleanup() {
	if [[ "${KEEP:-0}" == 1 ]]; then
		echo "kept $WORK" >&2
	else
		rm -rf "$RUN" "$BIN" "$DATA"
		rmdir "$WORK" 2>/dev/null || true
	fi
}
trap cleanup EXIT
log() { printf '== %s\n' "$*" >&2; }

# Disk: the data (~0.3 KB/row in IPC + Parquet) and the store (decoded
# copy of the input + the filtered blob + Parquet) need ~0.6 KB per row.
mkdir -p "$WORK"
NEED_KB=$((ROWS * 6 / 10 + 1024 * 1024))
[[ -f "$DATA/meta.json" ]] && NEED_KB=$((ROWS * 3 / 10 + 1024 * 1024))
AVAIL_KB=$(df -Pk "$WORK" | awk 'NR == 2 {print $4}')
if ((AVAIL_KB < NEED_KB)); then
	echo "not enough disk under $WORK: $((AVAIL_KB / 1024 / 1024)) GiB free, need ~$((NEED_KB / 1024 / 1024)) GiB" >&2
	exit 1
fi

log "building dsbuild and the bench binaries (duckdb-go links libduckdb: the first build takes a while)"
rm -rf "$RUN"
mkdir -p "$BIN" "$RUN"
(cd "$ROOT" && go build -o "$BIN/dsbuild" ./cmd/dsbuild)
(cd "$HERE" && go build -o "$BIN/" . ./gen ./naive && go build -tags duckdb_arrow -o "$BIN/" ./duck)

if [[ ! -f "$DATA/meta.json" ]]; then
	log "generating $ROWS rows into $DATA"
	"$BIN/gen" -rows "$ROWS" -out "$DATA"
fi

"$BIN/filter" -data "$DATA" -work "$RUN" -runs "$RUNS" -max-empathy "$MAX_EMPATHY" \
	-dsbuild "$BIN/dsbuild" -duck "$BIN/duck" -naive "$BIN/naive"
