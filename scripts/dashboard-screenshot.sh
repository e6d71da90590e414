#!/usr/bin/env bash
# Opens the dashboard in a real headless browser and checks what it drew.
#
#   scripts/dashboard-screenshot.sh            # writes out/dashboard.png and out/dashboard.html
#
# Builds leak-history, records 50 minutes of a process with a known leak
# (component `session_cache`, with a restart half-way), a steady second source
# and a third that stopped recording 90 minutes ago, through `leak-history
# ingest`, serves it on a free loopback port, takes a screenshot with headless
# Chromium (Debian package `chromium`), and checks in the rendered DOM that
# the overview lists every source worst first, the page opened on the leaking
# one, the usage chart has a line and a min–max band, the run start is
# marked, times are ISO-8601 UTC and the leaking component is listed. Then
# serves an empty database and checks the page says so. Stops each server
# with SIGTERM and checks it exits cleanly. Exits non-zero on any failure.
#
# Environment: SCRATCH_PATH (swift build folder, default .build),
# WINDOW_SIZE (default 1400,1000), KEEP=1 keeps the temporary database.
set -euo pipefail
cd "$(dirname "$0")/.."

scratch=${SCRATCH_PATH:-.build}
size=${WINDOW_SIZE:-1400,1000}
browser=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$browser" ]; then
    echo "dashboard-screenshot: needs Chromium (Debian: apt-get install chromium)" >&2
    exit 2
fi

echo "dashboard-screenshot: building"
# The build's own warnings are not this script's findings: shown only when the build fails.
if ! build_log=$(scripts/swift-build-retry.sh --scratch-path "$scratch" --product leak-history 2>&1); then
    echo "$build_log" >&2
    exit 1
fi
bin="$(swift build --scratch-path "$scratch" --show-bin-path)/leak-history"

tmp=$(mktemp -d)
server=""
cleanup() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then kill -KILL "$server" 2>/dev/null || true; fi
    if [ "${KEEP:-0}" = 1 ]; then echo "dashboard-screenshot: kept $tmp"; else rm -rf "$tmp"; fi
}
trap cleanup EXIT
db="$tmp/dashboard.sqlite"

# 50 minutes at 5 s steps ending now. checkout-api: session_cache keeps a
# quarter of what it allocates (the leak), http_buffers frees everything,
# image_pool warms up then holds; version 2.3.0 restarts 25 minutes ago as
# 2.4.0. batch-worker: a steady sawtooth.
python3 - "$tmp/events.ndjson" <<'PY'
import json, math, sys, time
MiB = 1 << 20
now = int(time.time() * 1000)
start = now - 50 * 60 * 1000
step_ms = 5000
steps = 50 * 60 * 1000 // step_ms + 1
restart_step = steps // 2
lines = []
def emit(**event):
    lines.append(json.dumps(event))
for i in range(steps):
    ts = start + i * step_ms
    run_step = i if i < restart_step else i - restart_step
    if i == 0 or i == restart_step:
        emit(ts_ms=ts, source="checkout-api", event="restart", version="2.3.0" if i == 0 else "2.4.0", labels={"host": "web-1"})
    emit(ts_ms=ts, source="checkout-api", component="session_cache", alloc_bytes=256 * 1024)
    if i % 4 == 0:
        emit(ts_ms=ts, source="checkout-api", component="session_cache", dealloc_bytes=256 * 1024)
    emit(ts_ms=ts, source="checkout-api", component="http_buffers", alloc_bytes=2 * MiB)
    emit(ts_ms=ts + 1, source="checkout-api", component="http_buffers", dealloc_bytes=2 * MiB)
    pool = min(run_step, 120) * 48 * MiB // 120
    session = (run_step + 1 - (run_step // 4 + 1)) * 256 * 1024
    gc = (i % 24) * MiB // 2
    usage = 140 * MiB + pool + session + gc
    emit(ts_ms=ts + 2, source="checkout-api", component="image_pool", allocated_bytes=pool)
    emit(ts_ms=ts + 3, source="checkout-api", usage_bytes=usage)
    if i == 0:
        emit(ts_ms=ts + 4, source="checkout-api", event="baseline")
    worker = 96 * MiB + int(12 * MiB * (0.5 + 0.5 * math.sin(i / 6.0)))
    emit(ts_ms=ts, source="batch-worker", usage_bytes=worker)
    emit(ts_ms=ts, source="batch-worker", component="queue", allocated_bytes=worker - 80 * MiB)
# nightly-report: two minutes of a flat process, 90 minutes ago.
for i in range(25):
    emit(ts_ms=start - 40 * 60 * 1000 + i * 5000, source="nightly-report", usage_bytes=64 * MiB + (i % 3) * 64 * 1024)
with open(sys.argv[1], "w") as f:
    f.write("\n".join(lines) + "\n")
PY
"$bin" ingest --db "$db" --strict "$tmp/events.ndjson"

# Starts `serve` on database $1; sets $server and $port.
start_server() {
    "$bin" serve --db "$1" --port 0 >"$tmp/serve.out" 2>"$tmp/serve.err" &
    server=$!
    port=""
    for _ in $(seq 1 200); do
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/serve.out")
        [ -n "$port" ] && break
        kill -0 "$server" 2>/dev/null || { cat "$tmp/serve.err" >&2; echo "dashboard-screenshot: serve exited" >&2; exit 1; }
        sleep 0.1
    done
    [ -n "$port" ] || { echo "dashboard-screenshot: serve did not report its port" >&2; exit 1; }
}

# Stops the server with SIGTERM and checks it exits cleanly.
stop_server() {
    kill -TERM "$server"
    local status=0
    wait "$server" || status=$?
    server=""
    if [ "$status" -ne 0 ]; then echo "  FAILED: serve exited with $status on SIGTERM" >&2; cat "$tmp/serve.err" >&2; failed=1
    else echo "  ok: serve stopped cleanly on SIGTERM"; fi
}

failed=0
page=out/dashboard.html
check() {
    if grep -q -- "$1" "$page"; then echo "  ok: $2"; else echo "  FAILED: $2" >&2; failed=1; fi
}

start_server "$db"
url="http://127.0.0.1:$port/#window=1h"
echo "dashboard-screenshot: serving $db on $url"

mkdir -p out
flags=(--headless --no-sandbox --disable-gpu --hide-scrollbars --no-first-run --mute-audio
       --window-size="$size" --virtual-time-budget=8000 --user-data-dir="$tmp/profile")
"$browser" "${flags[@]}" --screenshot="$PWD/out/dashboard.png" "$url" >/dev/null 2>"$tmp/chromium.err" || {
    cat "$tmp/chromium.err" >&2; exit 1; }
"$browser" "${flags[@]}" --dump-dom "$url" >out/dashboard.html 2>>"$tmp/chromium.err"

echo "dashboard-screenshot: checking the rendered page"
check 'table class="overview"' "the overview table is drawn"
check 'data-source="checkout-api"' "the overview lists checkout-api"
check 'data-source="batch-worker"' "the overview lists batch-worker"
check 'data-source="nightly-report"' "the overview lists nightly-report, silent for over an hour"
first=$(grep -o 'data-source="[^"]*"' out/dashboard.html | head -1)
if [ "$first" = 'data-source="checkout-api"' ]; then echo "  ok: the leaking source is listed first"; else echo "  FAILED: the leaking source is listed first (first row: $first)" >&2; failed=1; fi
check 'class="pick on" data-source="checkout-api"' "the page opened on the leaking source"
check 'class="pill v-leaking">LEAKING<' "the overview marks it LEAKING"
check 'class="series usage-line" d="M' "the usage chart drew its line"
check 'fill-opacity="0.12"' "the charts draw min–max bands"
check 'class="baseline"' "the baseline is marked"
check 'class="run-label"[^>]*>run [0-9]* · 2.4.0<' "the run start is marked with its version"
check 'class="version-row" data-version="2.3.0"' "the versions panel lists 2.3.0"
check 'class="version-row" data-version="2.4.0"' "the versions panel lists 2.4.0, against 2.3.0"
check ' (UTC)' "times are labelled UTC"
check '[0-9]\{4\}-[0-9]\{2\}-[0-9]\{2\} [0-9]\{2\}:[0-9]\{2\}:[0-9]\{2\}Z' "times are ISO-8601"
check 'class="series component-line" d="M' "the components chart drew its lines"
check 'class="badge leak" id="badge">LEAKING<' "the verdict says LEAKING"
check 'class="comp">session_cache<' "the leaking component session_cache is listed"
check 'class="pill sev-' "it has a severity"
check 'class="others"' "the components that were not flagged are listed with their reason"
if grep -q 'class="banner on"' out/dashboard.html; then echo "  FAILED: the page shows an error banner" >&2; failed=1; fi
[ -s out/dashboard.png ] || { echo "  FAILED: no screenshot" >&2; failed=1; }
stop_server

echo "dashboard-screenshot: an empty database"
start_server "$tmp/empty.sqlite"
page=out/dashboard-empty.html
"$browser" "${flags[@]}" --screenshot="$PWD/out/dashboard-empty.png" "http://127.0.0.1:$port/" >/dev/null 2>>"$tmp/chromium.err"
"$browser" "${flags[@]}" --dump-dom "http://127.0.0.1:$port/" >"$page" 2>>"$tmp/chromium.err"
check '<strong>No sources yet</strong>' "the overview says there are no sources yet"
check 'class="badge none" id="badge">NO DATA<' "the verdict says NO DATA"
if grep -q 'class="banner on"' "$page"; then echo "  FAILED: the empty page shows an error banner" >&2; failed=1; fi
stop_server

[ "$failed" -eq 0 ] || exit 1
echo "dashboard-screenshot: wrote out/dashboard.png, out/dashboard-empty.png and their DOM"
