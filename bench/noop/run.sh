#!/usr/bin/env bash
# No-op rebuild: dsbuild vs Snakemake 7 on the same DAG (recipes/drift.hcl).
#
#   bench/noop/run.sh            # RUNS=10 timed no-op runs of each
#   RUNS=20 KEEP=1 bench/noop/run.sh
#
# Both tools build the recipe once into a private work dir under bench/work/
# (git-ignored; the repo's lockfiles/ and out/ are never touched), then each
# is timed on RUNS no-op rebuilds, side by side in this one run (hyperfine
# when installed, else a bash loop). Prints the median of each and the ratio.
#
# The Snakefile is generated from the recipe itself (dsbuild graph for the
# edges, the recipe for fetch URLs/digests and output paths): one rule per
# dsbuild node, fetches copy the pinned file from the mirror, the other
# steps do trivial python work (copy/concatenate), outputs go to the same
# paths as dsbuild's. What is measured is the no-op path: both must find
# everything up to date, and the script checks that they do.
#
# Env: RUNS (10), MIRROR (../shared/data), KEEP=1 keeps the work dir,
# NO_HYPERFINE=1 times with the bash loop even where hyperfine is installed.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${RUNS:-10}
MIRROR=$(cd "${MIRROR:-$ROOT/../shared/data}" && pwd)
RECIPE=recipes/drift.hcl

mkdir -p "$ROOT/bench/work"
WORK=$(mktemp -d "$ROOT/bench/work/noop.XXXXXX")
cleanup() {
	if [[ "${KEEP:-0}" == 1 ]]; then
		echo "kept $WORK"
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT

log() { printf '== %s\n' "$*" >&2; }

# ---- tools -----------------------------------------------------------------
apt_install() {
	# apt-get update only when the package is unknown to the local lists.
	if ! apt-cache show "$1" >/dev/null 2>&1; then
		apt-get update -qq
	fi
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$1" >/dev/null
}
if ! command -v snakemake >/dev/null; then
	log "installing snakemake (apt)"
	apt_install snakemake
fi
if ! command -v hyperfine >/dev/null; then
	apt_install hyperfine 2>/dev/null || log "hyperfine unavailable; timing with a bash loop"
fi
SNAKEMAKE_VERSION=$(snakemake --version)
[[ "$SNAKEMAKE_VERSION" == 7.* ]] || log "warning: snakemake $SNAKEMAKE_VERSION is not 7.x"

log "building dsbuild"
(cd "$ROOT" && go build -o "$WORK/dsbuild" ./cmd/dsbuild)
DSBUILD=$WORK/dsbuild

# ---- dsbuild project: a copy of recipes/ with its own lockfiles/ and store --
DS=$WORK/ds
mkdir -p "$DS/lockfiles"
cp -r "$ROOT/recipes" "$DS/"
export DSBUILD_CACHE=$DS/cache
ds_build() { (cd "$DS" && "$DSBUILD" build "$RECIPE" --mirror "$MIRROR" --project "$DS" "$@"); }

log "dsbuild: first build"
ds_build >"$WORK/ds-first.log" 2>&1 || { cat "$WORK/ds-first.log" >&2; exit 1; }
tail -n 2 "$WORK/ds-first.log" >&2
ds_build >"$WORK/ds-second.log" 2>&1
DS_NOTHING=$(grep -c '^nothing to do' "$WORK/ds-second.log" || true)
DS_RAN=$(grep -c '^ran ' "$WORK/ds-second.log" || true)
if [[ "$DS_NOTHING" != 1 || "$DS_RAN" != 0 ]]; then
	echo "dsbuild's second build was not a no-op:" >&2
	cat "$WORK/ds-second.log" >&2
	exit 1
fi
DS_SECOND_LINE=$(grep '^nothing to do' "$WORK/ds-second.log")

# ---- the equivalent Snakefile ----------------------------------------------
SM=$WORK/sm
mkdir -p "$SM"
"$DSBUILD" graph "$DS/$RECIPE" >"$WORK/graph.dot"
python3 - "$DS/$RECIPE" "$WORK/graph.dot" "$MIRROR" "$DS/recipes" >"$SM/Snakefile" <<'PY'
import hashlib, os, re, sys

recipe, dot, mirror, recipes_dir = sys.argv[1:]

# Blocks and their top-level string attributes (url, digest, path).
blocks, cur, depth = {}, None, 0
for line in open(recipe):
    code = re.sub(r'"(\\.|[^"\\])*"', '""', line.split('#', 1)[0])
    m = re.match(r'^(\w+)\s+"([^"]+)"\s*\{', line)
    if depth == 0 and m:
        cur = f"{m.group(1)}.{m.group(2)}"
        blocks[cur] = {}
    elif cur and depth == 1:
        a = re.match(r'^\s*(url|digest|path)\s*=\s*"([^"]*)"', line)
        if a:
            blocks[cur][a.group(1)] = a.group(2)
    depth += code.count('{') - code.count('}')
    if depth == 0:
        cur = None

nodes = re.findall(r'^\s*"([^"]+)" \[label=', open(dot).read(), re.M)
edges = re.findall(r'^\s*"([^"]+)" -> "([^"]+)";', open(dot).read(), re.M)
inputs = {n: [] for n in nodes}
for a, b in edges:
    inputs[b].append(a)
missing = [n for n in nodes if n not in blocks]
if missing:
    sys.exit(f"Snakefile generator: nodes not found in the recipe: {missing}")

def mirror_file(url, digest):
    name = os.path.basename(url.split('?')[0])
    want = digest.split(':', 1)[1] if digest else None
    for d, _, files in os.walk(mirror):
        if name in files:
            p = os.path.join(d, name)
            if want is None or hashlib.sha256(open(p, 'rb').read()).hexdigest() == want:
                return p
    sys.exit(f"Snakefile generator: {name} ({digest}) not in mirror {mirror}")

def target(n):
    if n.startswith('output.'):
        return blocks[n]['path']
    return f"nodes/{n}.data"

templates = sorted(os.path.join(recipes_dir, 'templates', f)
                   for f in os.listdir(os.path.join(recipes_dir, 'templates')))
out = ["import shutil", "", "rule all:",
       "    input: " + ", ".join(repr(target(n)) for n in nodes if n.startswith('output.')), ""]
for n in nodes:
    kind = n.split('.', 1)[0]
    rule = n.replace('.', '__')
    if kind == 'fetch':
        src = mirror_file(blocks[n]['url'], blocks[n].get('digest'))
        ins = [src]
        body = ["        shutil.copyfile(input[0], output[0])"]
    else:
        ins = [target(i) for i in inputs[n]]
        if kind == 'synthesize' or not ins:
            ins = ins + templates
        body = ["        with open(output[0], 'wb') as w:",
                "            for p in input:",
                "                with open(p, 'rb') as r:",
                "                    shutil.copyfileobj(r, w)"]
    out += [f"rule {rule}:",
            "    input: " + ", ".join(repr(i) for i in ins),
            f"    output: {target(n)!r}",
            "    run:"] + body + [""]
print("\n".join(out))
PY
N_RULES=$(grep -c '^rule ' "$SM/Snakefile")
N_NODES=$(grep -c '\[label=' "$WORK/graph.dot")

SNAKE=(snakemake --snakefile "$SM/Snakefile" --directory "$SM" --cores 1)
log "snakemake $SNAKEMAKE_VERSION: first build ($N_RULES rules for $N_NODES dsbuild nodes + all)"
"${SNAKE[@]}" >"$WORK/sm-first.log" 2>&1 || { cat "$WORK/sm-first.log" >&2; exit 1; }
"${SNAKE[@]}" >"$WORK/sm-second.log" 2>&1
if ! grep -q 'Nothing to be done' "$WORK/sm-second.log"; then
	echo "snakemake's second run was not a no-op:" >&2
	cat "$WORK/sm-second.log" >&2
	exit 1
fi

# ---- timing ----------------------------------------------------------------
DS_CMD="$DSBUILD build $RECIPE --mirror $MIRROR --project $DS"
SM_CMD="${SNAKE[*]}"
cd "$DS"
if [[ "${NO_HYPERFINE:-0}" != 1 ]] && command -v hyperfine >/dev/null; then
	TIMER="hyperfine $(hyperfine --version | cut -d' ' -f2)"
	log "timing $RUNS no-op runs of each with $TIMER"
	hyperfine -N --warmup 2 --runs "$RUNS" --export-json "$WORK/times.json" \
		-n dsbuild "$DS_CMD" -n snakemake "$SM_CMD" >&2
	read -r DS_MED SM_MED < <(python3 -c '
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
print(r["dsbuild"]["median"], r["snakemake"]["median"])' "$WORK/times.json")
else
	TIMER="bash loop (date +%s.%N)"
	log "timing $RUNS no-op runs of each with a $TIMER"
	median() { sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
	time_runs() {
		local i t0 t1
		"$@" >/dev/null 2>&1; "$@" >/dev/null 2>&1 # warmup
		for ((i = 0; i < RUNS; i++)); do
			t0=$(date +%s.%N)
			"$@" >/dev/null 2>&1
			t1=$(date +%s.%N)
			awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f\n", b - a}'
		done
	}
	DS_MED=$(time_runs $DS_CMD | median)
	SM_MED=$(time_runs "${SNAKE[@]}" | median)
fi

# The timed runs must still be no-ops (and must not have changed the lock).
ds_build >"$WORK/ds-last.log" 2>&1
grep -q '^nothing to do' "$WORK/ds-last.log" || { echo "dsbuild stopped being a no-op" >&2; exit 1; }
"${SNAKE[@]}" >"$WORK/sm-last.log" 2>&1
grep -q 'Nothing to be done' "$WORK/sm-last.log" || { echo "snakemake stopped being a no-op" >&2; exit 1; }

CPU=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
python3 - "$DS_MED" "$SM_MED" <<PY
import sys
ds, sm = map(float, sys.argv[1:])
print()
print("no-op rebuild of $RECIPE ($N_NODES nodes), $RUNS runs each, $TIMER")
print("machine: $(nproc) cores, $CPU; snakemake $SNAKEMAKE_VERSION")
print(f"  dsbuild    median {ds*1000:9.1f} ms")
print(f"  snakemake  median {sm*1000:9.1f} ms")
print(f"  ratio      dsbuild is {sm/ds:.1f}x faster (target >= 20x): {'PASS' if sm/ds >= 20 else 'FAIL'}")
print("  dsbuild second build executed no node: $DS_SECOND_LINE")
PY
