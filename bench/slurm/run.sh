#!/usr/bin/env bash
# Overhead of the Slurm executor on a one-machine cluster (.ci/slurm.sh).
#
#   bench/slurm/run.sh             # RUNS=3 cold builds of each
#   RUNS=5 CHAIN=12 KEEP=1 bench/slurm/run.sh
#
# 1. recipes/drift.hcl, cold (empty store each run): local build vs
#    --executor slurm (every node but the outputs is a job), median wall
#    time; every lock is compared with lockfiles/drift.lock.
# 2. Per-job overhead: a chain of CHAIN select nodes over a 3-row file (each
#    the input of the next, so the jobs run one after another): (slurm wall
#    - local wall) / jobs, with the executor's default poll (500ms) and with
#    poll = "100ms".
# 3. The no-op rebuild with --executor slurm (nothing submitted).
#
# Needs a running cluster (sinfo answers). Env: RUNS (3), CHAIN (8),
# MIRROR (../shared/data), KEEP=1 keeps the work dir under bench/work/.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-3}
CHAIN=${CHAIN:-8}
MIRROR=$(cd "${MIRROR:-$ROOT/../shared/data}" && pwd)

sinfo -h >/dev/null || { echo "no Slurm cluster (start one with .ci/slurm.sh start)" >&2; exit 1; }
mkdir -p "$ROOT/bench/work"
WORK=$(mktemp -d "$ROOT/bench/work/slurm.XXXXXX")
cleanup() { if [[ "${KEEP:-0}" == 1 ]]; then echo "kept $WORK"; else rm -rf "$WORK"; fi; }
trap cleanup EXIT
log() { printf '== %s\n' "$*" >&2; }

log "building dsbuild"
(cd "$ROOT" && go build -o "$WORK/dsbuild" ./cmd/dsbuild)
DSBUILD=$WORK/dsbuild

median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.3f\n", b - a}'; }

# project DIR: a copy of recipes/ with its own lockfiles/ and .git marker
project() {
	rm -rf "$1"
	mkdir -p "$1/lockfiles" "$1/.git"
	cp -r "$ROOT/recipes" "$1/"
}

# cold_build DIR EXECUTOR LOG: one build into an empty store; prints seconds
cold_build() {
	local dir=$1 ex=$2 out=$3 t0 t1
	project "$dir"
	t0=$(now)
	(cd "$dir" && "$DSBUILD" build recipes/drift.hcl --mirror "$MIRROR" --cache "$dir/cache" --executor "$ex") >"$out" 2>&1 ||
		{ cat "$out" >&2; exit 1; }
	t1=$(now)
	cmp -s "$dir/lockfiles/drift.lock" "$ROOT/lockfiles/drift.lock" ||
		{ echo "lock of the $ex build differs from lockfiles/drift.lock" >&2; diff "$ROOT/lockfiles/drift.lock" "$dir/lockfiles/drift.lock" >&2; exit 1; }
	elapsed "$t0" "$t1"
}

log "drift.hcl: $RUNS cold builds each, local and slurm"
: >"$WORK/local.times"
: >"$WORK/slurm.times"
for ((i = 0; i < RUNS; i++)); do
	cold_build "$WORK/local" local "$WORK/local.log" >>"$WORK/local.times"
	cold_build "$WORK/slurm" slurm "$WORK/slurm.log" >>"$WORK/slurm.times"
done
DRIFT_JOBS=$(grep -c '^submitted ' "$WORK/slurm.log" || true)
DRIFT_NODES=$(grep -c '^ran ' "$WORK/slurm.log" || true)
LOCAL_MED=$(median <"$WORK/local.times")
SLURM_MED=$(median <"$WORK/slurm.times")

log "no-op rebuild with --executor slurm"
t0=$(now)
(cd "$WORK/slurm" && "$DSBUILD" build recipes/drift.hcl --mirror "$MIRROR" --cache "$WORK/slurm/cache" --executor slurm) >"$WORK/noop.log" 2>&1
t1=$(now)
NOOP=$(elapsed "$t0" "$t1")
if grep -q '^submitted ' "$WORK/noop.log" || ! grep -q '^nothing to do' "$WORK/noop.log"; then
	echo "the no-op slurm build submitted jobs:" >&2; cat "$WORK/noop.log" >&2; exit 1
fi

# chain POLL: a chain of CHAIN selects; prints "local slurm" seconds
chain() {
	local poll=$1 dir="$WORK/chain" t0 t1 t2
	rm -rf "$dir"; mkdir -p "$dir/recipes" "$dir/lockfiles" "$dir/.git"
	printf 'a,b\nx,1\ny,2\nz,3\n' >"$dir/d.csv"
	{
		printf 'executor "slurm" {\n  poll = "%s"\n}\n\nfetch "d" {\n  url = "../d.csv"\n}\n' "$poll"
		prev=fetch.d
		for ((k = 1; k <= CHAIN; k++)); do
			printf '\nselect "s%d" {\n  input  = %s\n  derive = { c%d = b }\n}\n' "$k" "$prev" "$k"
			prev=select.s$k
		done
	} >"$dir/recipes/chain.hcl"
	t0=$(now)
	(cd "$dir" && "$DSBUILD" build recipes/chain.hcl --cache "$dir/cache-local" --executor local) >"$WORK/chain-local.log" 2>&1
	t1=$(now)
	rm -f "$dir/lockfiles/chain.lock"
	(cd "$dir" && "$DSBUILD" build recipes/chain.hcl --cache "$dir/cache-slurm" --executor slurm) >"$WORK/chain-slurm.log" 2>&1
	t2=$(now)
	echo "$(elapsed "$t0" "$t1") $(elapsed "$t1" "$t2") $(grep -c '^submitted ' "$WORK/chain-slurm.log")"
}

log "per-job overhead: a chain of $CHAIN selects (+ its fetch), $RUNS runs per poll setting"
declare -A PER
for poll in 500ms 100ms; do
	: >"$WORK/per.$poll"
	for ((i = 0; i < RUNS; i++)); do
		read -r tl ts jobs < <(chain "$poll")
		awk -v l="$tl" -v s="$ts" -v j="$jobs" 'BEGIN {printf "%.3f\n", (s - l) / j}' >>"$WORK/per.$poll"
	done
	PER[$poll]=$(median <"$WORK/per.$poll")
done

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
SLURM_VERSION=$(sinfo --version)
cat <<EOF

Slurm executor overhead, one-machine cluster ($SLURM_VERSION, $(nproc) cores, $CPU)
  drift.hcl cold build, median of $RUNS: local ${LOCAL_MED}s, slurm ${SLURM_MED}s ($DRIFT_JOBS jobs for $DRIFT_NODES nodes; outputs run in the driver); ratio $(awk -v a="$SLURM_MED" -v b="$LOCAL_MED" 'BEGIN {printf "%.2f", a / b}')x
  every lock identical to lockfiles/drift.lock
  no-op rebuild with --executor slurm: ${NOOP}s, 0 jobs
  per-job overhead (chain of $CHAIN selects + fetch, jobs one after another), median of $RUNS:
    poll 500ms (default): ${PER[500ms]}s per job
    poll 100ms:           ${PER[100ms]}s per job
EOF
