"""Schemathesis hooks for LeakHistory: NDJSON request bodies.

The OpenAPI document describes an NDJSON body as the array of its events;
this serializer writes them one JSON object per line, as clients send them.
A generated value that is not an array (schemathesis's negative cases) is
written as it is, so malformed bodies are sent too.
"""
import atexit
import json
import os

import schemathesis

# How many NDJSON bodies were written, for the script to report (and require).
_written = {"arrays": 0, "other": 0}


@atexit.register
def _report():
    path = os.environ.get("LEAK_HISTORY_ST_NDJSON_COUNT")
    if path:
        with open(path, "w") as out:
            out.write(f"{_written['arrays']} {_written['other']}\n")


@schemathesis.serializer("application/x-ndjson")
def ndjson(ctx, value):
    _written["arrays" if isinstance(value, list) else "other"] += 1
    if isinstance(value, list):
        return "\n".join(json.dumps(item, ensure_ascii=False) for item in value).encode("utf-8") + b"\n"
    if isinstance(value, (bytes, bytearray)):
        return bytes(value)
    if isinstance(value, str):
        return value.encode("utf-8", "surrogatepass")
    return json.dumps(value).encode("utf-8")
