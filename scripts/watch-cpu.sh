#!/usr/bin/env bash
# The CPU `leak-history watch` costs, beside psrecord watching the same process.
#
#   swift build -c release --product leak-history
#   python3 -m venv /tmp/psrecord && /tmp/psrecord/bin/pip install psrecord
#   PSRECORD=/tmp/psrecord/bin/psrecord scripts/watch-cpu.sh [SECONDS]
#
# Starts one Python process holding 200 MiB in 320 separate mappings (a
# service-sized process: smaps_rollup walks every mapping), then, side by side
# on that same process (all at once, so a loaded machine weighs on each the
# same), for SECONDS (default 120):
#   - psrecord PID --interval 1 (and with --include-children, which walks the
#     process's children as watch does);
#   - leak-history watch --pid PID --interval 1s (its default: with the tree,
#     PSS at most every 10 s), with --no-children (the process alone, as
#     psrecord without --include-children), and with --no-children --no-pss
#     (RSS of the process alone: what psrecord reads);
#   - leak-history watch --pid PID --interval 100ms.
# Each watcher stops itself (--duration). Its CPU is its user + system time,
# in all (start-up included, as `time` would say) and in its steady state
# (from 5 s after its start on, so a Python or Swift start-up does not count).
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
echo "watch-cpu: target pid $target, $((rss_kb / 1024)) MB RSS, $maps mappings; the watchers run side by side for ${seconds} s; $(uptime | sed 's/.*load/load/')"

# measure NAME COMMAND…: runs COMMAND (which ends itself after $seconds) and
# prints its CPU: in all, from wait4's rusage (µs, every thread), and in its
# steady state, that total less what its threads had used 5 s after the start
# (/proc/PID/task/*/schedstat, ns; a thread gone by then counts as steady
# time, which can only make the figure larger).
measure() {
    local name=$1
    shift
    python3 - "$name" "$seconds" "$tmp" "$@" <<'PY'
import glob, os, subprocess, sys, time
name, seconds, tmp, command = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
with open(os.path.join(tmp, name + ".out"), "w") as out:
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
time.sleep(5)
at5 = 0
for path in glob.glob("/proc/%d/task/*/schedstat" % process.pid):
    try:
        at5 += int(open(path).read().split()[0]) / 1e9
    except OSError:
        pass
_, status, usage = os.wait4(process.pid, 0)
total = usage.ru_utime + usage.ru_stime
steady = total - at5
print("%-42s CPU %6.3f s in all, %6.3f s over its last %d s = %6.3f%% of a core"
      % (name, total, steady, seconds - 5, 100 * steady / (seconds - 5)))
open(os.path.join(tmp, name + ".steady"), "w").write("%f" % steady)
PY
}

pids=()
measure "psrecord --interval 1" "$psrecord" "$target" --interval 1 --duration "$seconds" --log "$tmp/psrecord.log" &
pids+=($!)
measure "psrecord --interval 1 --include-children" "$psrecord" "$target" --interval 1 --include-children \
    --duration "$seconds" --log "$tmp/psrecord-children.log" &
pids+=($!)
measure "watch --interval 1s" "$bin" watch --db "$tmp/watch-1s.sqlite" --pid "$target" --interval 1s --duration "${seconds}s" &
pids+=($!)
measure "watch --interval 1s --no-children" "$bin" watch --db "$tmp/watch-1s-alone.sqlite" --pid "$target" --interval 1s \
    --duration "${seconds}s" --no-children &
pids+=($!)
measure "watch --interval 1s --no-children --no-pss" "$bin" watch --db "$tmp/watch-1s-rss.sqlite" --pid "$target" \
    --interval 1s --duration "${seconds}s" --no-children --no-pss &
pids+=($!)
measure "watch --interval 100ms" "$bin" watch --db "$tmp/watch-100ms.sqlite" --pid "$target" --interval 100ms --duration "${seconds}s" &
pids+=($!)
wait "${pids[@]}"   # the watchers, not the target
echo "watch-cpu: done; $(uptime | sed 's/.*load/load/')"

ratio() { echo "scale=2; $(cat "$tmp/$1.steady") / $(cat "$tmp/$2.steady")" | bc; }
echo "watch --interval 1s / psrecord --interval 1: $(ratio "watch --interval 1s" "psrecord --interval 1")×;" \
     "/ psrecord --include-children: $(ratio "watch --interval 1s" "psrecord --interval 1 --include-children")×;" \
     "watch --no-children --no-pss / psrecord: $(ratio "watch --interval 1s --no-children --no-pss" "psrecord --interval 1")×"
for db in watch-1s watch-1s-alone watch-1s-rss watch-100ms; do
    echo "$db: $("$bin" runs --db "$tmp/$db.sqlite" | tail -n +2 | awk '{print $7 " samples stored (runs: SAMPLES)"}')"
done
