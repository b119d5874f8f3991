#!/usr/bin/env bash
# Reproduces the prober and analyzer benchmarks in one go (release build first). Figures are ratios against
# the physical limit (prober: N × 50 ms / C) and against a peer measured in the same run (analyzer: Python's
# json.loads on the same file); the machines are shared and noisy, so compare ratios, not seconds.
#   Benchmarks/run.sh            full set (the 10 000 × C=5 case alone takes about 100 s)
#   Benchmarks/run.sh --quick    1 000 interfaces only, and a 20 000-line analyzer batch
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
[ "${1:-}" = "--quick" ] && quick=1
echo "== build (release)"
swift build -c release 2>&1 | tail -n 1
echo "== machine: $(nproc) cores, $(uname -r), swift $(swift --version 2>/dev/null | head -n 1 | sed 's/.*version \([0-9.]*\).*/\1/')"
echo "== prober: loopback endpoints answering after 50 ms"
if [ "$quick" = 1 ]; then
    Benchmarks/prober-bench.sh "1000" "5 50 200"
else
    Benchmarks/prober-bench.sh "1000 10000" "5 50 200"
fi
echo "== analyzer: one batch, one core"
if [ "$quick" = 1 ]; then
    Benchmarks/analyzer-bench.sh 20000
else
    Benchmarks/analyzer-bench.sh 100000 10
    Benchmarks/analyzer-bench.sh 100000 1
fi
