#!/usr/bin/env bash
# A library-only client of this package, built in a temporary directory: it
# depends on the LeakHistory product with the default trait off, so it must
# resolve swift-log alone (not Hummingbird, NIO, AsyncHTTPClient,
# ArgumentParser …), build, and record a snapshot into a real file.
# Usage: scripts/library-client.sh   (prints the packages it resolved)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/Sources/App"
cat > "$dir/Package.swift" <<SWIFT
// swift-tools-version:6.1
import PackageDescription
let package = Package(
    name: "LibraryClient",
    platforms: [.macOS(.v15)],
    dependencies: [.package(path: "$root", traits: [])],
    targets: [.executableTarget(name: "App", dependencies: [.product(name: "LeakHistory", package: "$(basename "$root")")])]
)
SWIFT
cat > "$dir/Sources/App/main.swift" <<'SWIFT'
import Foundation
import LeakHistory

let path = CommandLine.arguments[1]
let recorder = try LeakRecorder(path: path, options: RecorderOptions(source: "app"))
recorder.recordSnapshot(usageMB: 100)
try recorder.close()
let reader = try HistoryReader(path: path)
print("stored sources: \(try reader.sources())")
try reader.close()
SWIFT
cd "$dir"
swift package resolve >/dev/null
resolved=$(ls .build/checkouts | tr '\n' ' ')
echo "library-client: resolved packages: ${resolved:-none}"
if [ "$resolved" != "swift-log " ]; then
    echo "library-client: FAIL: a LeakHistory-only client must resolve swift-log alone" >&2
    exit 1
fi
# SwiftPM itself has crashed here once (swift-package, SIGSEGV inside
# libdispatch, the same sources building fine the run before and after): a
# build killed by a signal is tried again, up to three times; a compile
# error (an ordinary exit status) fails at once.
for attempt in 1 2 3; do
    status=0
    swift build -q || status=$?
    [ "$status" -eq 0 ] && break
    if [ "$status" -lt 128 ] || [ "$attempt" -eq 3 ]; then
        echo "library-client: FAIL: swift build exited with $status" >&2
        exit 1
    fi
    echo "library-client: swift build was killed by signal $((status - 128)); trying again ($attempt of 3)" >&2
done
out=$(.build/debug/App "$dir/app.sqlite")
echo "library-client: $out"
[ "$out" = 'stored sources: ["app"]' ] || { echo "library-client: FAIL: unexpected output" >&2; exit 1; }
echo "library-client: ok"
