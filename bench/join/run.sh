#!/usr/bin/env bash
# The 10M × 1M join benchmark: dsbuild vs DuckDB, side by side in one run.
#
#   bench/join/run.sh                         # 10M × 1M rows, 3 samples per engine
#   ROWS=1000000 RIGHT=100000 RUNS=5 bench/join/run.sh
#   KEEP=1 bench/join/run.sh                  # keep data, store and binaries
#   SPREAD=1 bench/join/run.sh                # the same keys scattered over int64
#
# Builds dsbuild and the bench binaries into bench/work/join/bin, generates
# the two Parquet tables into bench/work/join/data-$ROWS-$RIGHT, runs the
# driver (see main.go) and prints the table. Everything lives under
# bench/work/ (git-ignored) and is removed at the end unless KEEP=1.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
HERE=$ROOT/bench/join
ROWS=${ROWS:-10000000}
RIGHT=${RIGHT:-1000000}
RUNS=${RUNS:-3}
SPREAD=${SPREAD:-0}
WORK=$ROOT/bench/work/join
DATA=$WORK/data-$ROWS-$RIGHT
GENFLAGS=()
if [[ "$SPREAD" == 1 ]]; then
	DATA=$DATA-spread
	GENFLAGS=(-spread)
fi
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

log "building dsbuild and the bench binaries (duckdb-go links libduckdb: the first build takes a while)"
rm -rf "$RUN"
mkdir -p "$BIN" "$RUN"
(cd "$ROOT" && go build -o "$BIN/dsbuild" ./cmd/dsbuild)
(cd "$HERE" && go build -o "$BIN/" . ./gen ./duck)

if [[ ! -f "$DATA/meta.json" ]]; then
	log "generating $ROWS × $RIGHT rows into $DATA"
	"$BIN/gen" -rows "$ROWS" -right "$RIGHT" -out "$DATA" ${GENFLAGS[@]+"${GENFLAGS[@]}"} > "$DATA.meta.tmp"
	mv "$DATA.meta.tmp" "$DATA/meta.json"
fi
MATCHES=$(sed -n 's/.*"matches":\([0-9]*\).*/\1/p' "$DATA/meta.json")

"$BIN/join" -data "$DATA" -work "$RUN" -runs "$RUNS" -matches "$MATCHES" \
	-dsbuild "$BIN/dsbuild" -duck "$BIN/duck"
