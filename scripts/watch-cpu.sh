#!/usr/bin/env bash
# The CPU `leak-history watch` costs, beside psrecord watching the same process.
#
#   swift build -c release --product leak-history
#   python3 -m venv /tmp/psrecord && /tmp/psrecord/bin/pip install psrecord
#   PSRECORD=/tmp/psrecord/bin/psrecord scripts/watch-cpu.sh [SECONDS]
#
# Starts one Python process holding 200 MiB in 320 separate mappings (a
# service-sized process: smaps_rollup walks every mapping), then, one after
# the other on that same process, for SECONDS (default 120) each:
#   - psrecord PID --interval 1 (and with --include-children, which walks the
#     process's children as watch does);
#   - leak-history watch --pid PID --interval 1s (its default: with the tree,
#     PSS at most every 10 s);
#   - leak-history watch --pid PID --interval 100ms.
# Each watcher's CPU is its user + system time from /proc/PID/stat: in all
# (start-up included, as `time` would say) and in its steady state (from 5 s
# after its start to its end, so a Python or Swift start-up does not count).
# Prints one line per watcher and the ratios.
set -euo pipefail

seconds=${1:-120}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${LEAK_HISTORY_BIN:-$here/.build/release/leak-history}
psrecord=${PSRECORD:-psrecord}
[ -x "$bin" ] || { echo "watch-cpu: no $bin (swift build -c release --product leak-history)" >&2; exit 1; }
command -v "$psrecord" >/dev/null || { echo "watch-cpu: no psrecord (PSRECORD=path/to/psrecord)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'kill "$target" 2>/dev/null || true; rm -rf "$tmp"' EXIT
ticks=$(getconf CLK_TCK)

python3 - <<'EOF' &
import mmap, time
blocks = []
for _ in range(320):                       # 320 × 640 KiB = 200 MiB, one mapping each
    m = mmap.mmap(-1, 640 * 1024)
    m.write(b"x" * (640 * 1024))
    blocks.append(m)
while True:
    time.sleep(1)
EOF
target=$!
sleep 3
rss_kb=$(awk '/VmRSS/ {print $2}' /proc/$target/status)
maps=$(wc -l </proc/$target/maps)
echo "watch-cpu: target pid $target, $((rss_kb / 1024)) MB RSS, $maps mappings; each watcher runs ${seconds} s, one after the other"

# cpu_ticks PID: utime + stime of PID.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }

# measure NAME COMMAND…: runs COMMAND in the background for its own duration,
# reads its CPU at +5 s and just before it exits (it is stopped with SIGINT at
# the end, so both watchers end the same way).
measure() {
    local name=$1
    shift
    "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    local pid=$! start
    start=$(date +%s.%N)
    sleep 5
    local at5 last
    at5=$(cpu_ticks "$pid")
    last=$at5
    local deadline
    deadline=$(echo "$start + $seconds" | bc)
    while (( $(echo "$(date +%s.%N) < $deadline" | bc) )); do
        last=$(cpu_ticks "$pid" 2>/dev/null || echo "$last")
        sleep 0.5
    done
    last=$(cpu_ticks "$pid" 2>/dev/null || echo "$last")
    kill -INT "$pid" 2>/dev/null || true
    wait "$pid" || true
    local total_s steady_s steady_pct
    total_s=$(echo "scale=3; $last / $ticks" | bc)
    steady_s=$(echo "scale=3; ($last - $at5) / $ticks" | bc)
    steady_pct=$(echo "scale=3; 100 * ($last - $at5) / $ticks / ($seconds - 5)" | bc)
    printf '%-34s CPU %7.2f s in all, %7.2f s over its last %d s = %6.3f%% of a core\n' \
        "$name" "$total_s" "$steady_s" "$((seconds - 5))" "$steady_pct"
    echo "$steady_s" >"$tmp/$name.steady"
}

measure "psrecord --interval 1" "$psrecord" "$target" --interval 1 --log "$tmp/psrecord.log"
measure "psrecord --interval 1 --include-children" "$psrecord" "$target" --interval 1 --include-children --log "$tmp/psrecord-children.log"
measure "watch --interval 1s" "$bin" watch --db "$tmp/watch-1s.sqlite" --pid "$target" --interval 1s
measure "watch --interval 100ms" "$bin" watch --db "$tmp/watch-100ms.sqlite" --pid "$target" --interval 100ms

ratio() { echo "scale=2; $(cat "$tmp/$1.steady") / $(cat "$tmp/$2.steady")" | bc; }
echo "watch --interval 1s / psrecord --interval 1: $(ratio "watch --interval 1s" "psrecord --interval 1")×" \
     "(/ psrecord --include-children: $(ratio "watch --interval 1s" "psrecord --interval 1 --include-children")×)"
for db in watch-1s watch-100ms; do
    echo "$db: $("$bin" runs --db "$tmp/$db.sqlite" | tail -n +2 | awk '{print $7 " samples"}')"
done
