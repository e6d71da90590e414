#!/usr/bin/env bash
# Property-based testing of the HTTP API against its own /openapi.yaml with
# schemathesis (pip install schemathesis): a real `leak-history serve` on a
# fresh database, NDJSON bodies written by scripts/schemathesis_hooks.py.
# Fails when any response is a 5xx or the run covers fewer than MIN cases.
#
#   scripts/schemathesis.sh [EXAMPLES_PER_OPERATION=1000] [MIN_CASES=5000]
set -euo pipefail
cd "$(dirname "$0")/.."
examples=${1:-1000}
min_cases=${2:-5000}
command -v schemathesis >/dev/null || { echo "schemathesis: install it with 'pip install schemathesis'" >&2; exit 2; }
swift build --product leak-history >/dev/null
bin=$(swift build --show-bin-path)/leak-history
. scripts/serve-helpers.sh
tmp=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
start_serve "$tmp/st.sqlite" "$tmp"
# Some events so reports, trends and exports have data to answer with.
now=$(($(date +%s) * 1000))
# Two runs, of versions 1.0 and 1.1, so compare and versions have something to answer.
for i in $(seq 0 59); do
    if [ "$i" = 0 ] || [ "$i" = 30 ]; then
        echo "{\"ts_ms\": $((now - 600000 + i * 10000)), \"event\": \"restart\", \"version\": \"1.$((i / 30))\", \"labels\": {\"host\": \"st\"}}"
    fi
    echo "{\"ts_ms\": $((now - 600000 + i * 10000)), \"usage_bytes\": $((100000000 + i * 1000000))}"
    echo "{\"ts_ms\": $((now - 600000 + i * 10000)), \"component\": \"cache\", \"alloc_bytes\": 1048576}"
done >"$tmp/seed.ndjson"
curl -sf --data-binary @"$tmp/seed.ndjson" -H 'Content-Type: application/x-ndjson' "http://127.0.0.1:$port/api/v1/memory/events" >/dev/null

started=$(date +%s)
# One worker: with two, schemathesis's coverage phase compiles its own source
# in two threads at once and CPython 3.11 (Debian's) fails with "AST
# constructor recursion depth mismatch" in about half the runs. A run whose
# only error is such a crash of schemathesis itself (a "Runtime Error") says
# nothing about the server and is run once more; a failed check or a 5xx is
# never retried.
for attempt in 1 2; do
    set +e
    LEAK_HISTORY_ST_NDJSON_COUNT=$tmp/ndjson.count SCHEMATHESIS_HOOKS=schemathesis_hooks PYTHONPATH=scripts schemathesis run "http://127.0.0.1:$port/openapi.yaml" \
        --checks not_a_server_error --max-examples "$examples" --generation-deterministic --workers 1 \
        --no-color >"$tmp/st.log" 2>&1
    status=$?
    set -e
    [ "$status" -ne 0 ] && [ "$attempt" = 1 ] && grep -q "Runtime Error" "$tmp/st.log" \
        && ! grep -qE "FAILURES|Server error|5[0-9][0-9] (Internal|Service|Insufficient)" "$tmp/st.log" || break
    echo "schemathesis: its own runtime error (not a failed check); running it once more"
    grep -m1 -E "Error:" "$tmp/st.log" || true
done
elapsed=$(($(date +%s) - started))
tail -n 40 "$tmp/st.log"
cases=$(grep -oE '[0-9]+ test cases|Test cases:? *[0-9]+ generated|[0-9]+ generated' "$tmp/st.log" | grep -oE '[0-9]+' | head -1)
server_errors=$(grep -cE '(^|[^0-9])5[0-9][0-9] (Internal|Service|Insufficient)|Server error' "$tmp/st.log" || true)
read -r ndjson_arrays ndjson_other <"$tmp/ndjson.count" 2>/dev/null || { ndjson_arrays=0; ndjson_other=0; }
echo "schemathesis: ${cases:-?} cases in ${elapsed} s, exit $status, server-error reports: $server_errors; NDJSON bodies: $ndjson_arrays of events, $ndjson_other malformed"
if ! kill -0 "$server_pid" 2>/dev/null; then echo "schemathesis: serve died" >&2; exit 1; fi
[ "$status" -eq 0 ] || exit 1
[ "$ndjson_arrays" -gt 0 ] || { echo "schemathesis: no NDJSON body was sent (hooks not loaded?)" >&2; exit 1; }
[ -n "$cases" ] && [ "$cases" -ge "$min_cases" ] || { echo "schemathesis: fewer than $min_cases cases" >&2; exit 1; }
