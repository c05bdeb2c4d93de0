#!/usr/bin/env bash
# `make demo`: what benchkit is for, on the embedded twin (no cluster needed).
#   1. a baseline the operator cannot keep up with (scenarios/demo-baseline.yaml),
#   2. the hypothesis: more workers and more CPU for the operator (scenarios/demo-candidate.yaml),
#   3. `benchkit compare`: did it help?
# Ends with the paths of both reports and of the comparison, and the comparison's verdict.
set -euo pipefail
cd "$(dirname "$0")/.."
RUN=${RUN:-uv run --frozen}
out="runs/demo-$(date -u +%Y%m%d-%H%M%S)"
mkdir -p "$out"

run() {  # run LABEL SCENARIO: one `benchkit run` into $out; sets RUN_DIR to its results folder
    local label=$1 scenario=$2 log="$out/$1.log" code
    set +e
    $RUN benchkit run "$scenario" --results-dir "$out" 2>&1 | tee "$log"
    code=${PIPESTATUS[0]}
    set -e
    RUN_DIR=$(sed -n 's/^results: //p' "$log" | tail -n 1)
    if [[ $code -ne 0 || -z $RUN_DIR || ! -d $RUN_DIR ]]; then
        echo "demo: the $label run failed (exit $code); its output is in $log" >&2
        exit "$(( code == 0 ? 1 : code ))"
    fi
}

echo "== 1/3 baseline: the paper operator (10 workers, 36 vCPUs, ~130 apps/min) offered 200 jobs/min"
run baseline scenarios/demo-baseline.yaml
base=$RUN_DIR
echo
echo "== 2/3 hypothesis: 20 workers on 72 vCPUs, the same load"
run candidate scenarios/demo-candidate.yaml
cand=$RUN_DIR
echo
echo "== 3/3 benchkit compare $base $cand"
$RUN benchkit compare "$base" "$cand" --output-dir "$out" | tee "$out/compare.txt"
echo
echo "baseline report:  $base/report.html"
echo "candidate report: $cand/report.html"
echo "comparison:       $out/compare.html"
grep '^verdict: ' "$out/compare.txt"
