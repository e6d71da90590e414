#!/usr/bin/env python3
"""Writes the versioned history the compare tests and the README use, as NDJSON.

Source 'api', five versions of three runs each (one per host), every run 90
minutes long with a sample every 30 s and a 5-minute start-up ramp, 10
minutes between runs (the deploy):

  1.4.0  flat
  1.4.1  flat but noisy: one run wanders, one rises 10 MiB in its last 30 minutes
  1.4.2  a session cache that never evicts: sessions and usage +36 MiB/h
  1.4.3  the same leak
  1.4.4  fixed: flat again

Each run starts with a restart event carrying its version and labels. The
output is deterministic (seeded); Tests/Fixtures/version-history.ndjson is
this script's output:

  python3 scripts/version-history.py > Tests/Fixtures/version-history.ndjson
"""
import json
import random

MIB = 1048576
T0 = 1795500000000          # 2026-11-24T06:00:00Z
STEP = 30_000               # a sample every 30 s
SAMPLES = 180               # 90 minutes
GAP = 10 * 60_000           # 10 minutes between runs
RAMP = 10                   # samples of start-up ramp (5 minutes)
LEAK_PER_SAMPLE = 36 * MIB // 120   # 36 MiB/h at 120 samples an hour

VERSIONS = [("1.4.0", "flat", "3f9c2a1"), ("1.4.1", "noisy", "8d41b07"), ("1.4.2", "leak", "c07e5d2"),
            ("1.4.3", "leak", "e2a9f11"), ("1.4.4", "flat", "51b6c3e")]


def main():
    rng = random.Random(14)
    out = []
    emit = lambda **fields: out.append(json.dumps({"source": "api", **fields}, separators=(", ", ": ")))
    run = 0
    for version, shape, commit in VERSIONS:
        for host in range(3):
            start = T0 + run * (SAMPLES * STEP + GAP)
            run += 1
            emit(ts_ms=start, event="restart", version=version, labels={"host": f"web-{host + 1}", "commit": commit})
            held = 0
            wander = 0.0
            for i in range(SAMPLES):
                ts = start + i * STEP
                ramp = min(1.0, i / RAMP) * 50 * MIB      # the start-up ramp: 250 → 300 MiB
                noise = rng.gauss(0, 0.5 * MIB)
                extra = 0.0
                if shape == "leak":
                    emit(ts_ms=ts, component="sessions", alloc_bytes=LEAK_PER_SAMPLE)
                    held += LEAK_PER_SAMPLE
                else:
                    emit(ts_ms=ts, component="sessions", alloc_bytes=131072)
                    emit(ts_ms=ts, component="sessions", dealloc_bytes=131072)
                if shape == "noisy":
                    noise = rng.gauss(0, 3 * MIB)
                    if host == 1:                          # a slow wander (autocorrelated noise)
                        wander = 0.9 * wander + rng.gauss(0, 0.4 * MIB)
                        extra = wander
                    if host == 2 and i >= SAMPLES - 60:    # rises 10 MiB in its last 30 minutes
                        extra = (i - (SAMPLES - 60)) / 60 * 10 * MIB
                anon = 150 * MIB + ramp + held + extra + rng.gauss(0, 0.3 * MIB)
                emit(ts_ms=ts, component="rss_anon", allocated_bytes=int(max(0, anon)))
                emit(ts_ms=ts, usage_bytes=int(max(0, 250 * MIB + ramp + held + extra + noise)))
    print("\n".join(out))


if __name__ == "__main__":
    main()
