#!/usr/bin/env bash
# YAML reading speed: Vigil's reader (Sources/Shared/Config/YAML*.swift, built here with swiftc -O -wmo) against
# libyaml through PyYAML's CSafeLoader, on the same files in the same run, alternating, each read REPS times in
# one process after a first read; the median of ROUNDS rounds. Also the peak RSS of one read, less the peak of a
# process that reads nothing, per MB of input. Both build the whole tree (Node values; Python objects).
#   Benchmarks/yaml-bench.sh [FILE...]        (default: synthetic OpenAPI-shaped documents of 200 KB and 10 MB)
# Real documents must be brought by hand, e.g. twilio-oai's spec/yaml/twilio_sync_v1.yaml (210 KB, 48
# operations) and twilio_api_v2010.yaml (1.5 MB, 197 operations), or the OpenAPI Initiative's examples.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${ROUNDS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -c 'import yaml, sys; sys.exit(0 if yaml.__with_libyaml__ else 1)' \
    || { echo "PyYAML without libyaml: apt-get install python3-yaml (or pip install pyyaml with libyaml-dev)" >&2; exit 1; }

cp Benchmarks/yaml-bench.swift "$work/main.swift"  # top-level code must be in main.swift
swiftc -O -wmo -o "$work/yaml-bench" "$work/main.swift" Sources/Shared/Config/Node.swift \
    Sources/Shared/Config/YAML*.swift
files=("$@")
if [ ${#files[@]} -eq 0 ]; then
    python3 Benchmarks/yaml-bench.py generate "$work/synthetic-200k.yaml" 200000
    python3 Benchmarks/yaml-bench.py generate "$work/synthetic-10m.yaml" 10000000
    files=("$work/synthetic-200k.yaml" "$work/synthetic-10m.yaml")
fi
: > "$work/empty.yaml"
vigil() { "$work/yaml-bench" "$@"; }
libyaml() { python3 Benchmarks/yaml-bench.py read "$@"; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

vigil_base=$(vigil "$work/empty.yaml" 0 | awk '{print $3}')
libyaml_base=$(libyaml "$work/empty.yaml" 0 | awk '{print $3}')
printf '%-28s %9s %12s %12s %7s %16s %16s\n' file KB vigil_MB/s libyaml_MB/s ratio vigil_RSS/MB libyaml_RSS/MB
for file in "${files[@]}"; do
    bytes=$(stat -c %s "$file")
    mb=$(awk -v b="$bytes" 'BEGIN {print b / 1e6}')
    reps=$(awk -v b="$bytes" 'BEGIN {r = int(20e6 / b); print (r < 1 ? 1 : (r > 200 ? 200 : r))}')
    vigil "$file" 1 >/dev/null  # refused files stop here, with the reader's message
    : > "$work/v"
    : > "$work/l"
    for _ in $(seq "$rounds"); do
        vigil "$file" "$reps" | awk '{print $1}' >> "$work/v"
        libyaml "$file" "$reps" | awk '{print $1}' >> "$work/l"
    done
    v=$(median < "$work/v")
    l=$(median < "$work/l")
    vrss=$(vigil "$file" 1 | awk '{print $3}')
    lrss=$(libyaml "$file" 1 | awk '{print $3}')
    awk -v f="$(basename "$file")" -v kb="$((bytes / 1000))" -v mb="$mb" -v v="$v" -v l="$l" \
        -v vr="$vrss" -v vb="$vigil_base" -v lr="$lrss" -v lb="$libyaml_base" 'BEGIN {
        printf "%-28s %9d %12.1f %12.1f %6.1fx %13.1f MB %13.1f MB\n", f, kb, mb / v, mb / l, l / v,
            (vr - vb) / 1024 / mb, (lr - lb) / 1024 / mb }'
done
