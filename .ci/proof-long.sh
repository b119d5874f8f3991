#!/usr/bin/env bash
# The long variants of the proof suite: crash safety over 12 runs of 1 000 interfaces with random SIGKILLs of
# every program, and a webhook outage over 10 runs. VIGIL_PROOF_SEED picks another chaos seed.
#   .ci/proof-long.sh [SEED]
set -euo pipefail
cd "$(dirname "$0")/.."
export VIGIL_PROOF_LONG=1
[ -n "${1:-}" ] && export VIGIL_PROOF_SEED=$1
swift test --filter ProofTests 2>&1 | grep -E "PROOF|✘|Test run with"
