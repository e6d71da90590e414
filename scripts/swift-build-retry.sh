#!/usr/bin/env bash
# `swift build "$@"`, tried again when SwiftPM itself is killed by a signal.
#
# swift-package has crashed here (SIGSEGV inside libdispatch, in CI and in
# scripts/library-client.sh) on sources that built the run before and after:
# a build killed by a signal is tried again, up to three times; a compile
# error (an ordinary exit status) fails at once.
set -uo pipefail
for attempt in 1 2 3; do
    status=0
    swift build "$@" || status=$?
    [ "$status" -eq 0 ] && exit 0
    if [ "$status" -lt 128 ] || [ "$attempt" -eq 3 ]; then
        echo "swift-build-retry: swift build $* exited with $status" >&2
        exit "$status"
    fi
    echo "swift-build-retry: swift build was killed by signal $((status - 128)); trying again ($attempt of 3)" >&2
done
