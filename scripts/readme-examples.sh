#!/usr/bin/env bash
# Runs the README's examples against today's build and prints each command
# with its real output, in README order, so the README can be checked (and
# updated) against what the commands say now.
#
#   scripts/readme-examples.sh [SECTION…] > out/readme-examples.txt
#
# Sections: cli (sources, runs, report, times, errors, help), ingest (the
# "Ingest, then ask" session), http (a real `serve` on 127.0.0.1:8080 and
# 8081, driven with curl), fleet (a day of 40 instances in a real Prometheus,
# then `fleet` and `import`). Default: all. Uses `leak-history` from
# LEAK_HISTORY_BIN_DIR (default: the debug build, .build/debug), jq, curl,
# promtool and prometheus (Debian packages). Works in a temporary directory,
# named `demo.sqlite`, `api.sqlite`, `leaks.sqlite`, `fleet.sqlite` inside it
# as in the README. The demo and watch blocks are run by hand (they take
# their time and print live progress).
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="${LEAK_HISTORY_BIN_DIR:-$here/.build/debug}:$PATH"
export NO_COLOR=1
command -v leak-history >/dev/null || { echo "readme-examples: build first (swift build)" >&2; exit 1; }
sections=${*:-cli ingest http fleet}
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# show 'COMMAND': prints `$ COMMAND` and runs it through the shell, output and errors as they come.
show() {
    echo "\$ $1"
    bash -c "$1" 2>&1 || true
}

make_events() {
    cat >make-events.py <<'PY'
import json
t0 = 1795500000000            # 2026-11-24T06:00:00Z
for i in range(360):          # every 10 s for an hour
    ts = t0 + i * 10_000
    if i == 180:
        print(json.dumps({"ts_ms": ts, "source": "api", "event": "restart"}))
    print(json.dumps({"ts_ms": ts, "source": "api", "component": "sessions", "alloc_bytes": 139810}))
    usage = 300 * 1048576 + (i % 180) * 139810 + (i % 6) * 1048576
    print(json.dumps({"ts_ms": ts, "source": "api", "usage_bytes": usage}))
PY
}

if [[ " $sections " == *" cli "* || " $sections " == *" ingest "* ]]; then
    leak-history demo --db demo.sqlite >/dev/null 2>&1
    make_events
    python3 make-events.py >events.ndjson
fi

if [[ " $sections " == *" cli "* ]]; then
    echo "## Finding your way around"
    show "leak-history sources --db demo.sqlite"
    show "leak-history runs --db demo.sqlite"
    show "leak-history report --db demo.sqlite"
    show "leak-history baseline set --db demo.sqlite --source demo-leaker"
    leak-history ingest --db api.sqlite events.ndjson >/dev/null
    show "leak-history report --db api.sqlite"
    show "TZ=Europe/Paris leak-history report --db api.sqlite --from \"2026-11-24 07:00\" --to \"2026-11-24 07:10\" | head -1"
    show "leak-history report --db api.sqlite --from 24/11/2026"
    show "leak-history prune --db nonexist.sqlite"
    show "leak-history baseline set --db demo.sqlite --source newsrc"
    show "leak-history watch --db demo.sqlite -- true"
    show "leak-history sources --db demo.sqlite"
    echo "## Install and command line"
    show "leak-history --version"
    show "leak-history --help"
    show "leak-history serve --db leaks.sqlite --host 0.0.0.0"
    rm -f api.sqlite*
fi

if [[ " $sections " == *" ingest "* ]]; then
    echo "## Ingest, then ask"
    show "leak-history ingest --db api.sqlite events.ndjson"
    show "leak-history ingest --db api.sqlite events.ndjson"
    show "leak-history runs --db api.sqlite"
    show "leak-history report --db api.sqlite --source api --from 2026-11-24T06:00:00Z --to 2026-11-24T07:00:00Z"
    show "leak-history trend --db api.sqlite --from 2026-11-24T06:00:00Z --to 2026-11-24T07:00:00Z --bucket 5m"
    show "leak-history export --db api.sqlite --what components --component sessions | head -3"
    show "echo '{\"ts_ms\": 1795500000000, \"usage_bytes\": -1}' | leak-history ingest --db api.sqlite -"
    show "echo '{\"ts_ms\": 1795500000000, \"source\": \"api\", \"usage_bytes\": 1}' | leak-history ingest --db api.sqlite -"
fi

# wait_for_port FILE: the port `serve` printed in FILE.
wait_for_port() {
    for _ in $(seq 1 300); do
        local port
        port=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$1")
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.1
    done
    echo "serve did not start: $(cat "$1")" >&2
    return 1
}

if [[ " $sections " == *" http "* ]]; then
    echo "## HTTP server"
    # Ten minutes ending now, a step every 10 s: session_cache allocates 1 MiB a step
    # and never frees it, request_buffers allocates and frees 512 KiB, usage climbs 100 → 159 MiB.
    python3 - >events.ndjson <<'PY'
import json, time
end = int(time.time() * 1000)
for step in range(60):
    ts = end - (59 - step) * 10_000 - 10
    print(json.dumps({"ts_ms": ts, "source": "api", "component": "session_cache", "alloc_bytes": 1048576}))
    print(json.dumps({"ts_ms": ts, "source": "api", "component": "request_buffers", "alloc_bytes": 524288}))
    print(json.dumps({"ts_ms": ts + 1, "source": "api", "component": "request_buffers", "dealloc_bytes": 524288}))
    print(json.dumps({"ts_ms": ts + 2, "source": "api", "usage_bytes": (100 + step) * 1048576}))
PY
    leak-history serve --db leaks.sqlite --port 8080 >serve.out 2>serve.err &
    pids+=($!)
    wait_for_port serve.out >/dev/null
    echo "\$ leak-history serve --db leaks.sqlite"
    cat serve.out
    u=http://127.0.0.1:8080
    show "head -2 events.ndjson"
    show "curl -s --data-binary @events.ndjson -H 'Content-Type: application/x-ndjson' $u/api/v1/memory/events"
    show "curl -s --data-binary @events.ndjson -H 'Content-Type: application/x-ndjson' $u/api/v1/memory/events"
    show "curl -s $u/api/v1/memory/leaks | jq 'del(.trend.checks, .trend.segments, .leak_candidates[].trend)'"
    show "curl -s $u/api/v1/memory/sources | jq -c '.sources[] | {name, runs, samples, first_sample_ms, last_sample_ms, verdict}'"
    show "curl -s $u/api/v1/memory/runs | jq -c '.runs[]'"
    show "curl -s -X POST -d '{}' $u/api/v1/memory/baseline"
    show "curl -s -X POST -d '{\"usage_mb\": 100}' $u/api/v1/memory/baseline"
    show "curl -s $u/api/v1/memory/leaks | jq -c '{has_leaks, baseline_mb, current_mb}'"
    show "curl -s -X DELETE $u/api/v1/memory/baseline"
    show "curl -s '$u/api/v1/memory/trend?since=10m&bucket=1m' | jq -c '.buckets[-3:][] | {start_ms, mean_bytes, count}'"
    show "curl -s '$u/api/v1/memory/export.csv?what=components&component=session_cache' | head -3"
    show "curl -s $u/health"
    echo "## Bad input"
    show "printf '{\"usage_bytes\": 5}\n{\"usage_bytes\": -5}\n{\"component\": \"cache\", \"alloc_bytes\": 1, \"colour\": \"red\"}\n' | curl -s --data-binary @- -H 'Content-Type: application/x-ndjson' $u/api/v1/memory/events | jq ."
    show "curl -s -w '  HTTP %{http_code}\n' '$u/api/v1/memory/leaks?from=2026-11-24T12:00:00Z&to=2026-11-24T11:00:00Z'"
    show "curl -s -w '  HTTP %{http_code}\n' '$u/api/v1/memory/leaks?from=24/11/2026'"
    show "curl -s -w '  HTTP %{http_code}\n' '$u/api/v1/memory/leaks?source=web'"
    show "curl -s -w '  HTTP %{http_code}\n' '$u/api/v1/memory/leaks?sinse=1h'"
    show "curl -s -w '  HTTP %{http_code}\n' -X PUT $u/api/v1/memory/leaks"
    echo "## Metrics"
    show "curl -s $u/metrics | grep -E '^leak_history_(usage|component|leak|window|database_size|ingest_duration_seconds_(sum|count))'"
    show "curl -s $u/metrics | promtool check metrics && echo ok"
    echo "## The token"
    export LEAK_HISTORY_TOKEN=e666b20cc7c5cbbe44dbbba29f314ec6
    leak-history serve --db leaks.sqlite --port 8081 >serve-token.out 2>&1 &
    pids+=($!)
    wait_for_port serve-token.out >/dev/null
    show "curl -s -w '  HTTP %{http_code}\n' -X POST --data-binary '{\"usage_bytes\": 1048576}' http://127.0.0.1:8081/api/v1/memory/events"
    show "curl -s -w '  HTTP %{http_code}\n' -H \"Authorization: Bearer \$LEAK_HISTORY_TOKEN\" --data-binary '{\"usage_bytes\": 1048576}' http://127.0.0.1:8081/api/v1/memory/events"
    unset LEAK_HISTORY_TOKEN
fi

if [[ " $sections " == *" fleet "* ]]; then
    echo "## Fleet"
    # The day of 40 instances the fleet tests load (FleetOverPrometheusTests), ending a minute ago.
    python3 - >fleet.om <<'PY'
import math, random, time
step = 30
end = int(time.time()) // 30 * 30 - 60
start = end - 24 * 3600
MiB = 1 << 20
shapes = [("host-00:9100", ("leak", 300, 20), 0.3), ("host-01:9100", ("leak", 120, 6), 0.2),
          ("host-02:9100", ("restarts", 150, 30, 6), 0.3), ("host-03:9100", ("late", 250, 40, 4), 0.5),
          ("host-04:9100", ("warmup", 100, 100, 2), 0.5)]
shapes += [("host-%02d:9100" % i, ("flat", 100 + i * 20), 1) for i in range(5, 22)]
shapes += [("host-%02d:9100" % i, ("saw", 200, 40 + i, 20 + (i % 5) * 10), 0.5) for i in range(22, 40)]
rng = random.Random(15)
def mb(shape, t):
    h = (t - start) / 3600
    kind = shape[0]
    if kind == "leak": return shape[1] + shape[2] * h
    if kind == "restarts": return shape[1] + shape[2] * math.fmod(h + shape[3] - 1, shape[3])
    if kind == "late": return shape[1] + shape[2] * max(0, h - (24 - shape[3]))
    if kind == "warmup": return shape[1] + shape[2] * min(1, h / shape[3])
    if kind == "flat": return shape[1]
    return shape[1] + shape[2] * math.fmod(h * 60, shape[3]) / shape[3]
def start_time(shape, t):
    if shape[0] != "restarts": return start - 3600
    every = shape[3] * 3600
    phase = every - 3600
    return start - phase + (t - start + phase) // every * every
times = range(start, end + 1, step)
out = ["# HELP process_resident_memory_bytes Resident memory size in bytes.", "# TYPE process_resident_memory_bytes gauge"]
for name, shape, noise in shapes:
    for t in times:
        out.append('process_resident_memory_bytes{instance="%s",job="api"} %d %d' % (name, round((mb(shape, t) + rng.gauss(0, 1) * noise) * MiB), t))
out += ["# HELP process_start_time_seconds Start time of the process since unix epoch in seconds.", "# TYPE process_start_time_seconds gauge"]
for name, shape, noise in shapes:
    for t in times:
        out.append('process_start_time_seconds{instance="%s",job="api"} %d %d' % (name, start_time(shape, t), t))
out.append("# TYPE container_spec_memory_limit_bytes gauge")
for i, (name, shape, noise) in enumerate(shapes):
    for t in range(end - 600, end + 1, step):
        out.append('container_spec_memory_limit_bytes{instance="%s",job="api"} %d %d' % (name, (1 << 30) + i * 64 * MiB, t))
print("\n".join(out) + "\n# EOF")
PY
    mkdir -p prometheus-data
    promtool tsdb create-blocks-from openmetrics --quiet fleet.om prometheus-data >/dev/null
    echo "global: {scrape_interval: 1h}" >prometheus.yml
    port=19090
    prometheus --config.file=prometheus.yml --storage.tsdb.path=prometheus-data --web.listen-address=127.0.0.1:$port \
        --storage.tsdb.retention.time=100y --log.level=warn >prometheus.log 2>&1 &
    pids+=($!)
    for _ in $(seq 1 300); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null && break; sleep 0.2; done
    p=http://127.0.0.1:$port
    show "leak-history fleet --prometheus $p --query 'process_resident_memory_bytes{job=\"api\"}' --since 24h --by instance --limit-query 'container_spec_memory_limit_bytes{job=\"api\"}'"
    show "leak-history fleet --prometheus $p --query 'process_resident_memory_bytes{job=\"api\"' --since 24h"
    show "leak-history import --db fleet.sqlite --prometheus $p --query 'process_resident_memory_bytes{job=\"api\"}' --since 24h --by instance"
    show "leak-history report --db fleet.sqlite --source host-00:9100 --since 24h"
fi
