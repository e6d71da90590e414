#!/usr/bin/env bash
# Runs the README's examples against today's build and prints each command
# with its real output, in README order, so the README can be checked (and
# updated) against what the commands say now.
#
#   scripts/readme-examples.sh [SECTION…] > out/readme-examples.txt
#
# Sections, in README order:
#   demo     `leak-history demo` (20 s) and the commands its "Look further" prints
#   install  the Install section in a clone of this checkout's HEAD, in a
#            temporary directory: `swift build -c release` (a full release
#            build: slow, so not in the default set), where the binary lands,
#            `install` into a temporary prefix, PATH, `--version`, the
#            libraries it links, then the --static-swift-stdlib build
#   watch    "Watching a process": the forker example with the README's own
#            leaky.py and steady.py, and the generic `-- COMMAND`, `--pid` and
#            `--cgroup` lines (with short durations; `--cgroup` on this
#            machine's own cgroup v2 when it has a memory controller, else on
#            a stand-in directory of memory.current and memory.stat)
#   cli      "Finding your way around": sources, runs, report, times, errors
#   sources  `sources rename` and `sources delete`
#   versions "Versions": scripts/version-history.py, ingest, runs, compare, and
#            a `serve --warmup 5m` for /versions and /metrics
#   help     `--version`, `--help`, the refused `serve --host 0.0.0.0`
#   ingest   "Ingest, then ask", with the README's own make-events.py
#   library  "Using the library": every ```swift block of that section is
#            put in a throwaway package that depends on this one by path,
#            built (scratch: .build-readme-snippets, kept between runs) and run
#   http     a real `serve` driven with curl (port $README_HTTP_PORT, default
#            8080, and $README_TOKEN_PORT, default 8081, for the token)
#   fleet    a day of 40 instances in a real Prometheus (port
#            $README_PROMETHEUS_PORT, default 19090), then `fleet` and `import`
# Default: every section but install. Uses `leak-history` from
# LEAK_HISTORY_BIN_DIR (default: the debug build, .build/debug), jq, curl,
# python3, promtool and prometheus (Debian packages). Works in a temporary
# directory, with `demo.sqlite`, `api.sqlite`, `leaks.sqlite`, `fleet.sqlite`
# inside it as in the README. Where a port is moved by the variables above,
# the output shows the port used; the README shows the defaults.
set -euo pipefail

here=$(cd "$(dirname "$0")/.." && pwd)
export PATH="${LEAK_HISTORY_BIN_DIR:-$here/.build/debug}:$PATH"
export NO_COLOR=1
command -v leak-history >/dev/null || { echo "readme-examples: build first (swift build)" >&2; exit 1; }
sections=${*:-demo watch cli sources versions help ingest library http fleet}
http_port=${README_HTTP_PORT:-8080}
token_port=${README_TOKEN_PORT:-8081}
prometheus_port=${README_PROMETHEUS_PORT:-19090}
work=$(mktemp -d)
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT
cd "$work"

# show 'COMMAND': prints `$ COMMAND`, runs it through the shell and prints its
# output and errors (ended by a newline, which curl's JSON answers lack).
show() {
    echo "\$ $1"
    local out
    out=$(bash -c "$1" 2>&1) || true
    [ -z "$out" ] || printf '%s\n' "$out"
}

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

# show_status 'COMMAND': as show, then `$ echo $?` and the command's exit status.
show_status() {
    echo "\$ $1"
    local status=0 out
    out=$(bash -c "$1" 2>&1) || status=$?
    [ -z "$out" ] || printf '%s\n' "$out"
    echo "\$ echo \$?"
    echo "$status"
}

# readme_blocks HEADING LANG DIR: writes the ```LANG blocks of the README's
# section HEADING (up to the next heading of its level or higher) into DIR, as
# block-1.LANG, block-2.LANG, …; a block whose first line is `# NAME.py`
# (or `// NAME.swift`) is written as NAME too. Prints how many it wrote.
readme_blocks() {
    python3 - "$here/README.md" "$1" "$2" "$3" <<'PY'
import os, re, sys
readme, heading, lang, out = sys.argv[1:]
lines = open(readme, encoding="utf-8").read().split("\n")
level = len(heading) - len(heading.lstrip("#"))
start = lines.index(heading)
blocks, block, fence, other = [], None, None, False
for line in lines[start + 1:]:
    stripped = line.strip()
    if other:                 # inside a block of another language
        other = stripped != "```"
    elif block is None and re.match(r"#{1,%d} " % level, line):
        break                 # the next heading of this level or higher (not a comment in a block)
    elif block is None and stripped.startswith("```") and stripped[3:].strip() == lang:
        block, fence = [], line[:len(line) - len(line.lstrip())]
    elif block is None and stripped.startswith("```"):
        other = True
    elif block is not None and stripped == "```":
        blocks.append(block); block = None
    elif block is not None:
        block.append(line[len(fence):] if line.startswith(fence) else line)
os.makedirs(out, exist_ok=True)
for n, b in enumerate(blocks, 1):
    text = "\n".join(b) + "\n"
    open(os.path.join(out, "block-%d.%s" % (n, lang)), "w").write(text)
    m = re.match(r"(?:#|//) (\S+\.(?:py|swift))$", b[0]) if b else None
    if m: open(os.path.join(out, m.group(1)), "w").write(text)
print(len(blocks))
PY
}

# make_events: the README's make-events.py (the python block of "Ingest, then ask").
make_events() {
    readme_blocks "### Ingest, then ask" python readme-ingest >/dev/null
    cp readme-ingest/make-events.py make-events.py
}

if [[ " $sections " == *" demo "* ]]; then
    echo "## The two commands: the demo"
    show "leak-history demo"
    echo "## Look further"
    show "leak-history report --db leak-history.sqlite --source demo-leaker"
    show "leak-history report --db leak-history.sqlite --source demo-steady --json | jq 'del(.trend.checks, .trend.segments)'"
    rm -f leak-history.sqlite*
fi

if [[ " $sections " == *" install "* ]]; then
    echo "## Install (in a clone of HEAD, in $work/install)"
    git clone -q "$here" install/LeakHistory
    prefix=$work/install/prefix
    mkdir -p "$prefix/bin"
    (
        cd install/LeakHistory
        echo "\$ swift build -c release"
        start=$(date +%s)
        swift build -c release 2>&1 | tail -3
        echo "(took $(( $(date +%s) - start )) s)"
        show "swift build -c release --show-bin-path"
        show "ls -l .build/release/leak-history | cut -d' ' -f1,5"
        show "ldd .build/release/leak-history | grep -E 'sqlite|swift' || echo 'no shared Swift or SQLite libraries'"
        # /usr/local/bin is the README's; a temporary prefix here, to leave the machine as it was.
        show "install -m 755 .build/release/leak-history $prefix/bin/"
        show "PATH=$prefix/bin:\$PATH leak-history --version"
        show 'export PATH="$PWD/.build/release:$PATH"; command -v leak-history; leak-history --version'
        echo "\$ swift build -c release --static-swift-stdlib --product leak-history"
        start=$(date +%s)
        swift build -c release --static-swift-stdlib --product leak-history 2>&1 | tail -1
        echo "(took $(( $(date +%s) - start )) s)"
        show "ldd .build/release/leak-history | grep -c swift || true"
        show "ldd .build/release/leak-history | awk '{print \$1}'"
        show ".build/release/leak-history --version"
    )
fi

if [[ " $sections " == *" watch "* ]]; then
    echo "## Watching a process"
    # python3 itself, not a version manager's shell shim (pyenv), so the tree holds only the README's processes.
    mkdir -p bin
    ln -sf "$(python3 -c 'import sys; print(sys.executable)')" bin/python3
    export PATH="$work/bin:$PATH"
    readme_blocks "## Watching a process" python . >/dev/null
    show "cat leaky.py steady.py | grep -c ."
    show_status "leak-history watch --interval 500ms --duration 15s --warmup 2s --source forker --fail-on-leak -- sh -c 'python3 leaky.py & python3 steady.py & wait'"
    echo "## The generic watch lines"
    # ./my-server --port N: a small HTTP server that holds what it is sent.
    cat >my-server <<'SH'
#!/bin/sh
exec python3 -m http.server --bind 127.0.0.1 "${2:-9000}"
SH
    chmod +x my-server
    show "leak-history watch --duration 5s -- ./my-server --port ${README_SERVER_PORT:-9000}"
    python3 steady.py &
    p1=$!
    pids+=("$p1")
    python3 leaky.py &
    p2=$!
    pids+=("$p2")
    sleep 1
    show "leak-history watch --pid $p1 --pid $p2 --interval 500ms --duration 10s"
    kill "$p1" "$p2" 2>/dev/null || true
    show "leak-history watch --cgroup /sys/fs/cgroup/system.slice/my.service --duration 1h"
    own=$(sed -n 's|^0::||p' /proc/self/cgroup)
    if [ -n "$own" ] && [ -r "/sys/fs/cgroup$own/memory.current" ]; then
        show "leak-history watch --cgroup /sys/fs/cgroup$own --duration 10s"
    else
        # No cgroup v2 memory controller here: a stand-in directory whose
        # memory.current grows 2 MiB a second (in steps every 0.1 s, with some
        # noise), as a leaking service's would.
        mkdir -p my.service
        python3 - my.service <<'PY' &
import os, random, sys, time
d = sys.argv[1]
for i in range(300):
    anon = 50 * 1048576 + i * 209715 + random.randrange(0, 262144)
    for name, text in (("memory.stat", "anon %d\nfile %d\nkernel 4194304\nsock 0\nshmem 0\n" % (anon, 20 << 20)),
                       ("memory.current", "%d\n" % (anon + (24 << 20)))):
        with open(os.path.join(d, name + ".tmp"), "w") as f: f.write(text)
        os.replace(os.path.join(d, name + ".tmp"), os.path.join(d, name))
    time.sleep(0.1)
PY
        pids+=($!)
        sleep 0.5
        show "leak-history watch --cgroup \$PWD/my.service --interval 500ms --duration 10s"
    fi
    rm -f leak-history.sqlite*
fi

if [[ " $sections " == *" cli "* || " $sections " == *" sources "* || " $sections " == *" ingest "* ]]; then
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
    rm -f api.sqlite*
fi

if [[ " $sections " == *" sources "* ]]; then
    echo "## Deleting and renaming"
    # On a copy: the sections after this one read demo.sqlite as the demo left it.
    cp demo.sqlite demo.sqlite.kept
    show "leak-history sources rename --db demo.sqlite demo-steady steady"
    show "leak-history sources delete --db demo.sqlite demo-leaker"
    show "leak-history sources delete --db demo.sqlite demo-leaker --yes"
    show "leak-history sources --db demo.sqlite"
    show "leak-history runs --db demo.sqlite"
    show "leak-history sources rename --db demo.sqlite nosuch other"
    rm -f demo.sqlite-wal demo.sqlite-shm
    mv demo.sqlite.kept demo.sqlite
fi

if [[ " $sections " == *" versions "* ]]; then
    echo "## Versions: did a deploy bring the leak?"
    ln -sfn "$here/scripts" scripts
    show "python3 scripts/version-history.py > versions.ndjson"
    show "leak-history ingest --db versions.sqlite versions.ndjson"
    show "leak-history runs --db versions.sqlite | head -3"
    show "leak-history compare --db versions.sqlite --versions 1.4.1 1.4.2 --warmup 5m --memory-limit-mb 512"
    show "leak-history compare --db versions.sqlite --versions 1.4.0 1.4.1 --warmup 5m | tail -1"
    show "leak-history compare --db versions.sqlite --versions 1.4.2 1.4.3 --warmup 5m | tail -1"
    show "leak-history compare --db versions.sqlite --versions 1.4.3 1.4.4 --warmup 5m | tail -1"
    show "leak-history compare --db versions.sqlite --runs 1 6 --warmup 5m | tail -1"
    leak-history serve --db versions.sqlite --port "$http_port" --warmup 5m >serve-versions.out 2>&1 &
    serve_pid=$!
    pids+=("$serve_pid")
    wait_for_port serve-versions.out >/dev/null
    v=http://127.0.0.1:$http_port
    show "curl -s '$v/api/v1/memory/versions' | jq -c '.versions[] | {version, status: .figures.status, rate: .figures.rate_text, change}'"
    show "curl -s $v/metrics | grep '^leak_history_run_growth'"
    kill "$serve_pid"
    wait "$serve_pid" 2>/dev/null || true
fi

if [[ " $sections " == *" help "* ]]; then
    echo "## Install and command line"
    show "leak-history --version"
    show "leak-history --help"
    show "leak-history serve --db leaks.sqlite --host 0.0.0.0"
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

if [[ " $sections " == *" library "* ]]; then
    echo "## Using the library"
    # Every swift block of the section, each the main.swift of an executable
    # of a throwaway package that depends on this checkout by path.
    pkg=$work/readme-snippets
    count=$(readme_blocks "## Using the library" swift "$pkg/blocks")
    dep=$(basename "$here")
    targets=""
    # The `// Package.swift` fragment shows a manifest's lines (this package's is written below), not code to run.
    n=0
    for block in $(seq 1 "$count"); do
        head -1 "$pkg/blocks/block-$block.swift" | grep -q '^// Package.swift' && continue
        n=$((n + 1))
        [ "$block" = "$n" ] || mv "$pkg/blocks/block-$block.swift" "$pkg/blocks/block-$n.swift"
        mkdir -p "$pkg/Sources/Snippet$n"
        {
            grep -q '^import Foundation' "$pkg/blocks/block-$n.swift" || echo "import Foundation"
            grep -q '^import LeakHistory' "$pkg/blocks/block-$n.swift" || echo "import LeakHistory"
            cat "$pkg/blocks/block-$n.swift"
        } >"$pkg/Sources/Snippet$n/main.swift"
        targets+="        .executableTarget(name: \"Snippet$n\", dependencies: [.product(name: \"LeakHistory\", package: \"$dep\")]),"$'\n'
    done
    count=$n
    cat >"$pkg/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription

let package = Package(
    name: "ReadmeSnippets",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "$here")],
    targets: [
$targets    ]
)
SWIFT
    [ -f "$here/Package.resolved" ] && cp "$here/Package.resolved" "$pkg/"
    scratch=${README_SNIPPETS_SCRATCH:-$here/.build-readme-snippets}
    echo "(building $count snippets against $here, scratch $scratch)"
    if ! (cd "$pkg" && swift build --scratch-path "$scratch" >"$work/snippets-build.log" 2>&1); then
        echo "readme-examples: a README snippet does not compile:"
        grep -E "error:|warning:" "$work/snippets-build.log" | sed "s|$pkg/Sources/||" | head -40
        exit 1
    fi
    grep -E "warning:" "$work/snippets-build.log" | grep "$pkg" | sed "s|$pkg/Sources/||" || true
    mkdir -p snippet-run
    for n in $(seq 1 "$count"); do
        (cd snippet-run && "$scratch/debug/Snippet$n" >"../snippet-$n.out" 2>&1) || echo "(exit status $?)" >>"snippet-$n.out"
        if [ "$(head -c1 "snippet-$n.out")" = "{" ]; then
            # A JSON report: trimmed as everywhere in the README.
            echo "\$ swift run Snippet$n | jq 'del(.trend.checks, .trend.segments)'    # README's swift block $n: $(grep -m1 -v '^import\|^$' "$pkg/blocks/block-$n.swift")"
            jq 'del(.trend.checks, .trend.segments)' "snippet-$n.out"
        else
            echo "\$ swift run Snippet$n    # README's swift block $n: $(grep -m1 -v '^import\|^$' "$pkg/blocks/block-$n.swift")"
            cat "snippet-$n.out"
        fi
    done
fi

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
    leak-history serve --db leaks.sqlite --port "$http_port" >serve.out 2>serve.err &
    pids+=($!)
    wait_for_port serve.out >/dev/null
    echo "\$ leak-history serve --db leaks.sqlite"
    cat serve.err serve.out
    u=http://127.0.0.1:$http_port
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
    show "curl -s $u/metrics | grep -E '^leak_history_(usage|growing|component|leak|window|database_size|ingest_duration_seconds_(sum|count))'"
    show "curl -s $u/metrics | promtool check metrics && echo ok"
    echo "## The token"
    export LEAK_HISTORY_TOKEN=e666b20cc7c5cbbe44dbbba29f314ec6
    leak-history serve --db leaks.sqlite --port "$token_port" >serve-token.out 2>&1 &
    pids+=($!)
    wait_for_port serve-token.out >/dev/null
    show "curl -s -w '  HTTP %{http_code}\n' -X POST --data-binary '{\"usage_bytes\": 1048576}' http://127.0.0.1:$token_port/api/v1/memory/events"
    show "curl -s -w '  HTTP %{http_code}\n' -H \"Authorization: Bearer \$LEAK_HISTORY_TOKEN\" --data-binary '{\"usage_bytes\": 1048576}' http://127.0.0.1:$token_port/api/v1/memory/events"
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
    port=$prometheus_port
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
