#!/usr/bin/env bash
# Streaming decode of a large JSON Lines file: time and peak RSS of a fetch
# that decodes ~2 GB of ESConv conversations (the real train split repeated)
# into the store. Memory must stay bounded by batch size, not file size.
#
#   bench/jsonl/run.sh              # ~2 GiB
#   SIZE_MB=512 bench/jsonl/run.sh
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SRC=${SRC:-$ROOT/../shared/data/esconv/hf_splits/train.json}
SIZE_MB=${SIZE_MB:-2048}
WORK=$ROOT/bench/work/jsonl
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/proj/recipes" "$WORK/proj/lockfiles"
(cd "$ROOT" && go build -o "$WORK/dsbuild" ./cmd/dsbuild)

# Repeat the real file (adding the newline its last line lacks) to SIZE_MB.
python3 - "$SRC" "$WORK/big.jsonl" "$SIZE_MB" <<'PY'
import sys
src = open(sys.argv[1], 'rb').read()
if not src.endswith(b'\n'):
    src += b'\n'
want = int(sys.argv[3]) << 20
with open(sys.argv[2], 'wb') as f:
    n = 0
    while n < want:
        f.write(src)
        n += len(src)
PY
cat > "$WORK/proj/recipes/big.hcl" <<HCL
fetch "big" {
  url    = "$WORK/big.jsonl"
  format = "jsonl"
}
HCL
bytes=$(stat -c %s "$WORK/big.jsonl")
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
/usr/bin/time -f "%e %M" -o "$WORK/time" env DSBUILD_CACHE="$WORK/store" \
  "$WORK/dsbuild" build "$WORK/proj/recipes/big.hcl" 2>&1 | grep -E "^ran|built"
read -r secs rss_kb < "$WORK/time"
rows=$(grep -A8 'node "fetch.big"' "$WORK/proj/lockfiles/big.lock" | awk '/rows/ {print $3}')
awk -v b="$bytes" -v s="$secs" -v r="$rss_kb" -v n="$rows" 'BEGIN {
  printf "input     %.2f GB JSON Lines, %d conversations\n", b/1e9, n
  printf "decode    %.2f s, %.0f MB/s (inference pass + build pass + store write + digests)\n", s, b/1e6/s
  printf "peak RSS  %.0f MiB (%.1f%% of the input) -> %s\n", r/1024, 100*r*1024/b, (r*1024 < 512*1048576 ? "bounded" : "CHECK")
}'
