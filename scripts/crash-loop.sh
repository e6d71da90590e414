#!/usr/bin/env bash
# Kills a heavy `leak-history ingest` with SIGKILL at random moments, N times,
# and checks after each kill that the database passes PRAGMA integrity_check
# and holds every batch the writer acknowledged ("committed N" lines).
# Usage: scripts/crash-loop.sh [KILLS] [EVENTS]   (defaults: 200 kills, 200000 events)
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-200}
events=${2:-200000}
[ -x .build/release/leak-history ] && [ -z "${REBUILD:-}" ] || swift build -c release --product leak-history >/dev/null 2>&1
bin=.build/release/leak-history
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 - "$events" > "$work/events.ndjson" <<'PY'
import sys
n = int(sys.argv[1])
t0 = 1790000000000
for i in range(n):
    print('{"ts_ms": %d, "source": "crash", "usage_bytes": %d}' % (t0 + i, 1000000 + i))
PY
survived=0; lost=0; acknowledged_total=0
for k in $(seq 1 "$kills"); do
    db="$work/crash-$k.sqlite"
    "$bin" ingest --db "$db" --batch 5000 --commit-lines "$work/events.ndjson" > "$work/out-$k.txt" 2>/dev/null &
    pid=$!
    sleep "0.$(( RANDOM % 60 ))"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    acknowledged=$( (grep -o 'committed [0-9]*' "$work/out-$k.txt" || true) | tail -1 | cut -d' ' -f2)
    acknowledged=${acknowledged:-0}
    if [ -f "$db" ]; then
        check=$(sqlite3 "$db" "PRAGMA integrity_check;")
        # Head rows and the samples sealed in chunks.
        stored=$(sqlite3 "$db" "SELECT (SELECT count(*) FROM snapshot) + (SELECT coalesce(sum(sample_count), 0) FROM snapshot_chunk);" 2>/dev/null || echo 0)
    else
        check=ok; stored=0
    fi
    if [ "$check" != "ok" ]; then echo "kill $k: integrity_check says: $check"; exit 1; fi
    if [ "$stored" -lt "$acknowledged" ]; then
        echo "kill $k: $acknowledged acknowledged, only $stored stored"; lost=$((lost + acknowledged - stored))
    fi
    if [ $((stored % 5000)) -ne 0 ]; then echo "kill $k: $stored rows is not whole batches"; exit 1; fi
    survived=$((survived + 1)); acknowledged_total=$((acknowledged_total + acknowledged))
    rm -f "$db" "$db-wal" "$db-shm"
done
echo "crash loop: $survived kills survived, $acknowledged_total acknowledged events checked, $lost lost, 0 integrity failures"
[ "$lost" -eq 0 ]
