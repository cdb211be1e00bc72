#!/usr/bin/env bash
# vector_project and embed throughput, with the memory-read roof measured in
# the same run.
#
#   bench/vectors/run.sh              # 200,000×1024 and 50,000×4096 float32, K = 8
#   REPS=10 BENCHTIME=10x bench/vectors/run.sh
#
# 1. go run ./bench/vectors: the projection kernel (internal/vec) on every
#    core over the rows in batches of 8192, and a streaming SIMD read of the
#    same rows (the roof): GFLOP/s (2·N·d·K), GB/s of rows, % of the roof.
# 2. BenchmarkVectorProject: the same shapes through the vector_project op
#    (Arrow batches in, batches with K float32 columns out, ordered workers).
# 3. BenchmarkEmbedHash: the hash-256 embedder through the embed op, one core.
# Nothing is written outside the Go build cache.
set -euo pipefail
cd "$(dirname "$0")/../.."
export PATH=/usr/local/go/bin:$PATH
echo "== kernel and memory roof (go run ./bench/vectors)"
go run ./bench/vectors -reps "${REPS:-5}"
echo "== vector_project op"
go test -run XXX -bench 'VectorProject' -benchtime "${BENCHTIME:-5x}" ./internal/ops | grep -E '^Benchmark'
echo "== embed op, hash-256, one core"
go test -run XXX -bench 'EmbedHash' -cpu 1 -benchtime "${BENCHTIME:-5x}" ./internal/ops | grep -E '^Benchmark'
