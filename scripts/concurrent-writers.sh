#!/usr/bin/env bash
# Several `leak-history ingest` processes, file after file, while `serve`
# takes POSTs from two clients, all into one database for SECONDS: no
# process may fail (SQLITE_BUSY included), no POST may get anything but 200,
# and every acknowledged event must be stored.
# Usage: scripts/concurrent-writers.sh [SECONDS=120] [WRITERS=3] [LINES_PER_FILE=20000]
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-120}
writers=${2:-3}
lines=${3:-20000}
command -v sqlite3 >/dev/null || { echo "needs sqlite3" >&2; exit 2; }
swift build --product leak-history >/dev/null
bin=$(swift build --show-bin-path)/leak-history
. scripts/serve-helpers.sh
work=$(mktemp -d)
server_pid=
cleanup() { [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
db="$work/shared.sqlite"
start_serve "$db" "$work"
start_ms=$(($(date +%s) * 1000))
end=$(($(date +%s) + seconds))

writer() {  # writer N: ingest files until the time is up; prints one line per run
    local n=$1 round=0
    while [ "$(date +%s)" -lt "$end" ]; do
        python3 -c "
import sys
n, r, lines, t0 = map(int, sys.argv[1:])
base = t0 + r * lines
print('\n'.join('{\"ts_ms\":%d,\"source\":\"w%d\",\"usage_bytes\":%d}' % (base + i, n, 1000 + i) for i in range(lines)))
" "$n" "$round" "$lines" "$start_ms" >"$work/w$n.ndjson"
        if "$bin" ingest --db "$db" --batch 2000 "$work/w$n.ndjson" >/dev/null 2>"$work/w$n.err"; then
            echo "ok $lines"
        else
            echo "fail $(tr '\n' ' ' <"$work/w$n.err")"
        fi
        round=$((round + 1))
    done >"$work/w$n.log"
}
poster() {  # poster N: POST 500-event batches until the time is up
    local n=$1 batch=0
    while [ "$(date +%s)" -lt "$end" ]; do
        python3 -c "
import sys
n, b, t0 = map(int, sys.argv[1:])
print('\n'.join('{\"ts_ms\":%d,\"source\":\"p%d\",\"usage_bytes\":%d}' % (t0 + b * 500 + i, n, 7 + i) for i in range(500)))
" "$n" "$batch" "$start_ms" >"$work/p$n.ndjson"
        status=$(curl -s -o "$work/p$n.body" -w '%{http_code}' --data-binary @"$work/p$n.ndjson" \
                 -H 'Content-Type: application/x-ndjson' "http://127.0.0.1:$port/api/v1/memory/events" || echo 000)
        if [ "$status" = 200 ]; then echo "ok 500"; else echo "fail $status $(cat "$work/p$n.body")"; fi
        batch=$((batch + 1))
    done >"$work/p$n.log"
}
pids=()
for n in $(seq 1 "$writers"); do writer "$n" & pids+=($!); done
for n in 1 2; do poster "$n" & pids+=($!); done
for pid in "${pids[@]}"; do wait "$pid"; done

failures=0; lost=0; summary=""
for log in "$work"/w*.log "$work"/p*.log; do
    source=$(basename "$log" .log)
    acknowledged=$(awk '$1 == "ok" { s += $2 } END { print s + 0 }' "$log")
    failed=$(grep -c '^fail' "$log" || true)
    # Head rows and the samples sealed in chunks.
    stored=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM snapshot JOIN source ON source.id = snapshot.source_id WHERE source.name = '$source') + (SELECT coalesce(sum(sample_count), 0) FROM snapshot_chunk JOIN source ON source.id = snapshot_chunk.source_id WHERE source.name = '$source');")
    [ "$failed" -gt 0 ] && grep '^fail' "$log" | head -3
    failures=$((failures + failed))
    [ "$stored" -lt "$acknowledged" ] && lost=$((lost + acknowledged - stored))
    summary="$summary $source=$stored"
done
echo "concurrent writers: $writers ingest processes + serve with 2 posting clients for $seconds s:$summary; $failures failures, $lost lost"
[ "$failures" -eq 0 ] && [ "$lost" -eq 0 ]
