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
"$root/scripts/swift-build-retry.sh" -q || { echo "library-client: FAIL: swift build" >&2; exit 1; }
out=$(.build/debug/App "$dir/app.sqlite")
echo "library-client: $out"
[ "$out" = 'stored sources: ["app"]' ] || { echo "library-client: FAIL: unexpected output" >&2; exit 1; }
echo "library-client: ok"
