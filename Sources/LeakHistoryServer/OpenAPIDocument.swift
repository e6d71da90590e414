/// The OpenAPI 3.0 description of the HTTP API, served at `GET /openapi.yaml`.
///
/// ```sh
/// curl http://127.0.0.1:8080/openapi.yaml > leak-history.yaml
/// ```
///
/// A test keeps it true: its paths and methods must be exactly the routes
/// the router registers, and real responses must match its schemas (which
/// forbid undocumented fields).
public enum OpenAPIDocument {
    public static let yaml = #"""
openapi: 3.0.3
info:
  title: LeakHistory
  version: "1"
  description: |
    The memory history of one or more processes, kept in a SQLite file, and the
    verdict on whether, where and how fast memory leaks over any window of it.
    JSON bodies use snake_case. Every error is a 4xx or 5xx with a JSON body
    `{"error": "<what is wrong>"}`. Sizes are bytes; "MB" fields are MiB.
    Times are Unix milliseconds or ISO-8601. When the server runs with a token,
    POST and DELETE need `Authorization: Bearer <token>`; GETs stay open.
servers:
  - url: http://127.0.0.1:8080
tags:
  - name: memory
  - name: operations
paths:
  /:
    get:
      tags: [operations]
      summary: The dashboard, a self-contained HTML page.
      operationId: dashboard
      responses:
        "200":
          description: The page.
          content:
            text/html:
              schema:
                type: string
  /health:
    get:
      tags: [operations]
      summary: Whether the database can be read.
      operationId: health
      responses:
        "200":
          description: The database answers (`status` says whether writes work too).
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Health"
        "503":
          description: The database cannot be read; `error` says why.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Health"
  /openapi.yaml:
    get:
      tags: [operations]
      summary: This document.
      operationId: openAPI
      responses:
        "200":
          description: OpenAPI 3.0 YAML.
          content:
            application/yaml:
              schema:
                type: object
                required: [openapi, info, paths]
                properties:
                  openapi:
                    type: string
                  info:
                    type: object
                  paths:
                    type: object
  /metrics:
    get:
      tags: [operations]
      summary: Prometheus text exposition (format 0.0.4).
      description: |
        Per source, over the server's metrics window (10 minutes unless set):
        leak_history_usage_bytes, leak_history_baseline_bytes,
        leak_history_component_bytes{component,kind},
        leak_history_usage_growth_bytes_per_second,
        leak_history_usage_growth_percent_per_hour,
        leak_history_growing_since_seconds (while leaking),
        leak_history_leak_detected (0/1),
        leak_history_leak_candidates{severity}, leak_history_window_samples,
        leak_history_time_to_limit_seconds. The server's own:
        leak_history_database_size_bytes, _schema_version, _sources, _runs,
        _components, leak_history_http_requests_total{route,method,status},
        leak_history_http_request_duration_seconds (histogram),
        leak_history_ingest_duration_seconds (histogram),
        leak_history_ingested_events_total, leak_history_ingest_rejected_total.
      operationId: metrics
      responses:
        "200":
          description: The metrics.
          content:
            text/plain:
              schema:
                type: string
  /api/v1/memory/leaks:
    get:
      tags: [memory]
      summary: The leak report of a source over a window of its history.
      description: |
        The seed's report, key for key (`baseline_mb` is null without a
        baseline), plus LeakHistory's fields. Without a window, the last
        `time_window_secs` (10 minutes) before now, or the source's newest
        run when that is shorter. Without `source`, the server's default
        source, or the only source. A window without samples says where the
        newest one is in `recommendations`, with a `from=…&to=…` that holds
        the newest run.
      operationId: leaks
      parameters:
        - $ref: "#/components/parameters/since"
        - $ref: "#/components/parameters/from"
        - $ref: "#/components/parameters/to"
        - $ref: "#/components/parameters/source"
      responses:
        "200":
          description: The report.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/LeakReport"
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
  /api/v1/memory/overview:
    get:
      tags: [memory]
      summary: Every source's leak report, worst first.
      description: |
        Leaking sources first, then by the most severe candidate, then by
        the verdict's rate. Each report covers its source's default window
        (as for `/leaks`) unless a window is given.
      operationId: overview
      parameters:
        - $ref: "#/components/parameters/since"
        - $ref: "#/components/parameters/from"
        - $ref: "#/components/parameters/to"
      responses:
        "200":
          description: One report per source.
          content:
            application/json:
              schema:
                type: array
                items:
                  $ref: "#/components/schemas/LeakReport"
        "400":
          $ref: "#/components/responses/BadRequest"
  /api/v1/memory/sources:
    get:
      tags: [memory]
      summary: The sources the database holds, with their runs, samples and verdict.
      operationId: sources
      responses:
        "200":
          description: The sources, sorted by name.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Sources"
        "400":
          $ref: "#/components/responses/BadRequest"
  /api/v1/memory/runs:
    get:
      tags: [memory]
      summary: The runs (process lifetimes) of one source, or of every source.
      operationId: runs
      parameters:
        - name: source
          in: query
          description: Only this source (default every source).
          schema:
            type: string
            minLength: 1
            maxLength: 256
      responses:
        "200":
          description: The runs, by source, oldest first.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Runs"
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
  /api/v1/memory/compare:
    get:
      tags: [memory]
      summary: Run against run, or version against version - did a version bring a leak, and where?
      description: |
        Each side is judged after the server's warm-up: its verdict, the rate since
        onset, the time to the memory limit, and per component the rate and held
        bytes. A version pools its newest 20 runs (restarts, hosts): the median of
        their rates with their spread. The newer side (the second) is a regression
        when its rate exceeds the older side's by more than the larger of a floor
        (1 MiB/h) and the runs' spread. `summary` says it in plain words. Without
        `runs` or `versions`: the source's newest run against the one before it.
      operationId: compare
      parameters:
        - $ref: "#/components/parameters/source"
        - name: runs
          in: query
          description: Two run ids, older first (runs=3,7); without source, the source that holds the first.
          schema:
            type: string
            pattern: '^[0-9]{1,18},[0-9]{1,18}$'
          example: 3,7
        - name: versions
          in: query
          description: Two versions, older first (versions=1.4.1,1.4.2).
          schema:
            type: string
            pattern: '^[A-Za-z0-9._+:~/-]{1,64},[A-Za-z0-9._+:~/-]{1,64}$'
          example: 1.4.1,1.4.2
      responses:
        "200":
          description: The comparison.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Comparison"
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
  /api/v1/memory/versions:
    get:
      tags: [memory]
      summary: A source's versions in the order they first ran, each pooled over its runs and compared with the one before it.
      operationId: versions
      parameters:
        - $ref: "#/components/parameters/source"
      responses:
        "200":
          description: The newest 8 versions, oldest first (empty when no run has a version).
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/VersionHistory"
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
  /api/v1/memory/events:
    post:
      tags: [memory]
      summary: Store events, all or nothing.
      description: |
        NDJSON (one JSON object per line, blank lines skipped) or a JSON array
        of the same objects. Each object is exactly one of: a snapshot
        (`usage_bytes`), an allocation (`component`, `alloc_bytes`), a
        deallocation (`component`, `dealloc_bytes`), a gauge sample
        (`component`, `allocated_bytes`), or an event (`"event": "restart"`,
        optionally with the `version` and `labels` of the run it starts, or
        `"event": "baseline"`, optionally with `usage_bytes`). `ts_ms`
        defaults to now; `source` to the `source` parameter. Any bad line
        refuses the whole body with 400, listing each bad line; nothing is
        written. Sizes are 0 to 1 PiB; names are 1 to 256 bytes without
        control characters; timestamps lie in 2000–2200.
      operationId: postEvents
      security:
        - bearer: []
        - {}
      parameters:
        - $ref: "#/components/parameters/source"
      requestBody:
        required: true
        content:
          application/x-ndjson:
            # The events, one JSON object per line (schemathesis: scripts/schemathesis-hooks.py writes them so).
            schema:
              type: array
              minItems: 1
              items:
                $ref: "#/components/schemas/Event"
            example: |
              {"ts_ms": 1764000000000, "usage_bytes": 104857600}
              {"ts_ms": 1764000000500, "component": "cache", "alloc_bytes": 4096}
          application/json:
            schema:
              type: array
              minItems: 1
              items:
                $ref: "#/components/schemas/Event"
      responses:
        "200":
          description: Every event was stored.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Stored"
        "400":
          $ref: "#/components/responses/BadRequest"
        "401":
          $ref: "#/components/responses/Unauthorized"
        "503":
          $ref: "#/components/responses/StorageUnavailable"
        "507":
          $ref: "#/components/responses/StorageFull"
        "413":
          $ref: "#/components/responses/TooLarge"
        "415":
          $ref: "#/components/responses/UnsupportedMediaType"
  /api/v1/memory/baseline:
    get:
      tags: [memory]
      summary: The baseline in force for a source.
      operationId: getBaseline
      parameters:
        - $ref: "#/components/parameters/source"
      responses:
        "200":
          description: The baseline, or null.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/BaselineState"
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
    post:
      tags: [memory]
      summary: Set the baseline now.
      description: |
        To `usage_bytes` or `usage_mb` when given, else to the source's newest
        stored sample (the source must then exist; `sample_ts_ms` says which
        sample), with every component's held bytes. Opens no run.
      operationId: setBaseline
      security:
        - bearer: []
        - {}
      parameters:
        - $ref: "#/components/parameters/source"
      requestBody:
        required: false
        content:
          application/json:
            schema:
              $ref: "#/components/schemas/BaselineRequest"
      responses:
        "200":
          description: The baseline now in force.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/BaselineState"
        "400":
          $ref: "#/components/responses/BadRequest"
        "401":
          $ref: "#/components/responses/Unauthorized"
        "503":
          $ref: "#/components/responses/StorageUnavailable"
        "507":
          $ref: "#/components/responses/StorageFull"
        "404":
          $ref: "#/components/responses/NotFound"
        "413":
          $ref: "#/components/responses/TooLarge"
    delete:
      tags: [memory]
      summary: Clear the baseline.
      operationId: clearBaseline
      security:
        - bearer: []
        - {}
      parameters:
        - $ref: "#/components/parameters/source"
      responses:
        "200":
          description: Whether a baseline was cleared.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/BaselineCleared"
        "400":
          $ref: "#/components/responses/BadRequest"
        "401":
          $ref: "#/components/responses/Unauthorized"
        "503":
          $ref: "#/components/responses/StorageUnavailable"
        "507":
          $ref: "#/components/responses/StorageFull"
        "404":
          $ref: "#/components/responses/NotFound"
  /api/v1/memory/trend:
    get:
      tags: [memory]
      summary: Usage, or one component, over a window in time buckets, with its trend verdict.
      description: Without a window, the last 24 hours, or the source's newest run when that is shorter.
      operationId: trend
      parameters:
        - $ref: "#/components/parameters/since"
        - $ref: "#/components/parameters/from"
        - $ref: "#/components/parameters/to"
        - $ref: "#/components/parameters/source"
        - name: bucket
          in: query
          description: Bucket size (at least 1s, at most 100,000 buckets); default about 240 round buckets.
          schema:
            type: string
            minLength: 1
            example: 15m
        - name: component
          in: query
          description: A component instead of total usage.
          schema:
            type: string
            minLength: 1
            maxLength: 256
            pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
      responses:
        "200":
          description: The series.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/TrendSeries"
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
  /api/v1/memory/export.csv:
    get:
      tags: [memory]
      summary: Stored samples as CSV (RFC 4180, header row), streamed.
      description: |
        Snapshots (`source,run_id,ts_ms,ts,usage_bytes`) or component samples
        (`source,component,kind,run_id,ts_ms,ts,allocated_bytes,allocations,deallocations`).
        Without a window, the whole history; without `source`, every source.
      operationId: exportCSV
      parameters:
        - name: what
          in: query
          schema:
            type: string
            enum: [snapshots, components]
            default: snapshots
        - $ref: "#/components/parameters/since"
        - $ref: "#/components/parameters/from"
        - $ref: "#/components/parameters/to"
        - name: source
          in: query
          description: Only this source (default every source).
          schema:
            type: string
            minLength: 1
            maxLength: 256
            pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        - name: component
          in: query
          description: Only this component (with what=components).
          schema:
            type: string
            minLength: 1
            maxLength: 256
            pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
      responses:
        "200":
          description: The CSV, chunked.
          content:
            text/csv:
              schema:
                type: string
        "400":
          $ref: "#/components/responses/BadRequest"
        "404":
          $ref: "#/components/responses/NotFound"
        "503":
          description: Too many exports are streaming; retry after the Retry-After seconds.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/Error"
components:
  securitySchemes:
    bearer:
      type: http
      scheme: bearer
      description: Required on POST and DELETE when the server was started with a token; with `--protect-reads`, on every GET too (401 without it), except /health and /metrics unless `--protect-health` / `--protect-metrics`.
  parameters:
    since:
      name: since
      in: query
      description: The window's length, e.g. 90s, 10m, 6h, 30d - back from now, or back from `to`, or on from `from`. Not with both from and to (400).
      schema:
        type: string
        minLength: 1
        example: 1h
    from:
      name: from
      in: query
      description: |
        Window start: ISO-8601 with a zone (2026-11-24T10:00:00Z, +01:00), a
        date and time without one (2026-11-24 10:00, read in the server's
        local time zone, as journalctl --since does), or Unix ms; default the
        beginning.
      schema:
        type: string
        minLength: 1
    to:
      name: to
      in: query
      description: Window end, in the same forms; default now. Must not be before from.
      schema:
        type: string
        minLength: 1
    source:
      name: source
      in: query
      description: The source (default the server's --source, "default", when the database holds it, else the only source; with several and none named, a 404 listing them); 1 to 256 bytes, no control characters.
      schema:
        type: string
        minLength: 1
        maxLength: 256
        pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
  responses:
    BadRequest:
      description: The request is malformed; `error` names the parameter, field or line.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
    NotFound:
      description: No such source, component or route.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
    Unauthorized:
      description: A token is configured and the request did not carry it.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
    TooLarge:
      description: The body is over the server's limit (8 MiB unless set).
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
    UnsupportedMediaType:
      description: A multipart body; send NDJSON or a JSON array as the body.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
    StorageUnavailable:
      description: >-
        Nothing was stored: the database file cannot be written (read-only file
        or file system, removed, an I/O error) or another writer held it past the
        busy timeout (then with Retry-After); `error` says which.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
    StorageFull:
      description: Nothing was stored - the disk holding the database file is full.
      content:
        application/json:
          schema:
            $ref: "#/components/schemas/Error"
  schemas:
    Error:
      type: object
      additionalProperties: false
      required: [error]
      properties:
        error:
          type: string
          description: What is wrong, naming the parameter, field or line.
        errors:
          type: array
          description: Each refused line of a body (the first 100).
          items:
            $ref: "#/components/schemas/LineError"
        error_count:
          type: integer
          description: How many lines were refused in all.
    LineError:
      type: object
      additionalProperties: false
      required: [field, message]
      properties:
        line:
          type: integer
          description: 1-based line (NDJSON) or element (array) number.
        field:
          type: string
        message:
          type: string
    Event:
      description: One event; exactly one of these shapes.
      oneOf:
        - $ref: "#/components/schemas/SnapshotEvent"
        - $ref: "#/components/schemas/AllocationEvent"
        - $ref: "#/components/schemas/DeallocationEvent"
        - $ref: "#/components/schemas/GaugeEvent"
        - $ref: "#/components/schemas/RestartEvent"
        - $ref: "#/components/schemas/BaselineEvent"
    Timestamp:
      type: integer
      format: int64
      minimum: 946684800000
      maximum: 7258118400000
      description: Unix milliseconds (2000–2200); default now.
    SnapshotEvent:
      type: object
      additionalProperties: false
      description: The total usage of the source.
      required: [usage_bytes]
      properties:
        ts_ms:
          $ref: "#/components/schemas/Timestamp"
        source:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        usage_bytes:
          type: integer
          format: int64
          minimum: 0
          maximum: 1125899906842624
    AllocationEvent:
      type: object
      additionalProperties: false
      description: A counted component allocated bytes.
      required: [component, alloc_bytes]
      properties:
        ts_ms:
          $ref: "#/components/schemas/Timestamp"
        source:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        component:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        alloc_bytes:
          type: integer
          format: int64
          minimum: 0
          maximum: 1125899906842624
    DeallocationEvent:
      type: object
      additionalProperties: false
      description: A counted component freed bytes.
      required: [component, dealloc_bytes]
      properties:
        ts_ms:
          $ref: "#/components/schemas/Timestamp"
        source:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        component:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        dealloc_bytes:
          type: integer
          format: int64
          minimum: 0
          maximum: 1125899906842624
    GaugeEvent:
      type: object
      additionalProperties: false
      description: A sampled component holds bytes.
      required: [component, allocated_bytes]
      properties:
        ts_ms:
          $ref: "#/components/schemas/Timestamp"
        source:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        component:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        allocated_bytes:
          type: integer
          format: int64
          minimum: 0
          maximum: 1125899906842624
    RestartEvent:
      type: object
      additionalProperties: false
      description: The source restarted; a new run begins, optionally naming the version it runs and labels.
      required: [event]
      properties:
        ts_ms:
          $ref: "#/components/schemas/Timestamp"
        source:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        event:
          type: string
          enum: [restart]
        version:
          $ref: "#/components/schemas/Version"
        labels:
          type: object
          maxProperties: 16
          description: Free labels of the run; keys are 1 to 64 of a-z, 0-9, _ . - starting with a letter (not "version").
          additionalProperties:
            type: string
            minLength: 1
            maxLength: 256
            pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
    Version:
      type: string
      minLength: 1
      maxLength: 64
      pattern: '^[A-Za-z0-9._+:~/-]+$'
      description: "A version: letters, digits and . _ - + : ~ / (1.4.2, v2.0.0-rc.1, a commit hash)."
    BaselineEvent:
      type: object
      additionalProperties: false
      description: A baseline, at usage_bytes or the usage at that time.
      required: [event]
      properties:
        ts_ms:
          $ref: "#/components/schemas/Timestamp"
        source:
          type: string
          minLength: 1
          maxLength: 256
          pattern: '^[^\u0000-\u001F\u007F-\u009F]*$'
        event:
          type: string
          enum: [baseline]
        usage_bytes:
          type: integer
          format: int64
          minimum: 0
          maximum: 1125899906842624
    RunFigures:
      type: object
      additionalProperties: false
      description: One run's verdict over its own span, after the warm-up.
      required: [source, run_id, started_ms, ended_ms, version, labels, sample_count, status, rate_bytes_per_hour, rate_text,
                 rate_error_bytes_per_hour, growing_since_ms, time_to_limit_secs, usage_bytes, explanation, components, other_components]
      properties:
        source:
          type: string
        run_id:
          type: integer
          format: int64
        started_ms:
          type: integer
          format: int64
        ended_ms:
          type: integer
          format: int64
          nullable: true
        version:
          type: string
          nullable: true
        labels:
          type: object
          additionalProperties:
            type: string
        sample_count:
          type: integer
        status:
          type: string
          enum: [leaking, not_leaking, insufficient_data, no_data]
        rate_bytes_per_hour:
          type: number
          description: The fitted rate since onset when the run leaks, else the net fitted rate over the run.
        rate_text:
          type: string
        rate_error_bytes_per_hour:
          type: number
          nullable: true
        growing_since_ms:
          type: integer
          format: int64
          nullable: true
        time_to_limit_secs:
          type: number
          nullable: true
        usage_bytes:
          type: integer
          format: int64
        explanation:
          type: string
        components:
          type: array
          description: The 20 fastest-growing components of the run.
          items:
            $ref: "#/components/schemas/ComponentRate"
        other_components:
          type: integer
    ComponentRate:
      type: object
      additionalProperties: false
      required: [name, kind, held_bytes, rate_bytes_per_hour, rate_text, rate_error_bytes_per_hour, is_leaking]
      properties:
        name:
          type: string
        kind:
          type: string
          enum: [counted, gauge]
        held_bytes:
          type: integer
          format: int64
        rate_bytes_per_hour:
          type: number
        rate_text:
          type: string
        rate_error_bytes_per_hour:
          type: number
          nullable: true
        is_leaking:
          type: boolean
    PooledFigures:
      type: object
      additionalProperties: false
      description: |
        A version's runs (or one run) read as one: leaking when more than half of its
        judged runs leak; the rate is the median of their rates, the spread the larger
        of their rates' robust spread and their median standard error.
      required: [label, version, runs, status, judged_runs, leaking_runs, rate_bytes_per_hour, rate_text,
                 spread_bytes_per_hour, time_to_limit_secs, components, other_components]
      properties:
        label:
          type: string
          description: The version, or "run N" for one run.
        version:
          type: string
          nullable: true
        runs:
          type: array
          items:
            $ref: "#/components/schemas/RunFigures"
        status:
          type: string
          enum: [leaking, not_leaking, insufficient_data, no_data]
        judged_runs:
          type: integer
          description: Runs with enough samples for a verdict.
        leaking_runs:
          type: integer
        rate_bytes_per_hour:
          type: number
        rate_text:
          type: string
        spread_bytes_per_hour:
          type: number
        time_to_limit_secs:
          type: number
          nullable: true
        components:
          type: array
          description: The 20 fastest-growing components over the runs.
          items:
            $ref: "#/components/schemas/PooledComponent"
        other_components:
          type: integer
    PooledComponent:
      type: object
      additionalProperties: false
      required: [name, kind, runs, leaking_runs, is_leaking, rate_bytes_per_hour, rate_text, spread_bytes_per_hour, held_bytes]
      properties:
        name:
          type: string
        kind:
          type: string
          enum: [counted, gauge]
        runs:
          type: integer
        leaking_runs:
          type: integer
        is_leaking:
          type: boolean
        rate_bytes_per_hour:
          type: number
        rate_text:
          type: string
        spread_bytes_per_hour:
          type: number
        held_bytes:
          type: integer
          format: int64
    Comparison:
      type: object
      additionalProperties: false
      required: [source, basis, base, target, verdict, change, summary, reason, rate_change_bytes_per_hour,
                 threshold_bytes_per_hour, floor_bytes_per_hour, components, other_components]
      properties:
        source:
          type: string
        basis:
          type: string
          enum: [runs, versions]
        base:
          $ref: "#/components/schemas/PooledFigures"
        target:
          $ref: "#/components/schemas/PooledFigures"
        verdict:
          type: string
          enum: [regression, improvement, no_change, insufficient_data]
        change:
          type: string
          enum: [leak_introduced, leak_worse, worse, looks_fixed, leak_slowed, better, same_leak, no_change, insufficient_data]
        summary:
          type: string
          description: The difference in plain words.
        reason:
          type: string
          description: The regression verdict's figures in a sentence.
        rate_change_bytes_per_hour:
          type: number
        threshold_bytes_per_hour:
          type: number
        floor_bytes_per_hour:
          type: number
        components:
          type: array
          description: Per component, the change of its rate, largest rise first (the first 20).
          items:
            type: object
            additionalProperties: false
            required: [name, base_rate_bytes_per_hour, target_rate_bytes_per_hour, change_bytes_per_hour, threshold_bytes_per_hour,
                       base_leaking, target_leaking, is_regression, is_fixed]
            properties:
              name:
                type: string
              base_rate_bytes_per_hour:
                type: number
              target_rate_bytes_per_hour:
                type: number
              change_bytes_per_hour:
                type: number
              threshold_bytes_per_hour:
                type: number
              base_leaking:
                type: boolean
              target_leaking:
                type: boolean
              is_regression:
                type: boolean
              is_fixed:
                type: boolean
        other_components:
          type: integer
    VersionHistory:
      type: object
      additionalProperties: false
      required: [source, versions, older_versions]
      properties:
        source:
          type: string
        older_versions:
          type: integer
          description: Versions older than the ones listed.
        versions:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [version, first_started_ms, figures, previous_version, verdict, change, summary]
            properties:
              version:
                type: string
              first_started_ms:
                type: integer
                format: int64
              figures:
                $ref: "#/components/schemas/PooledFigures"
              previous_version:
                type: string
                nullable: true
              verdict:
                type: string
                nullable: true
                enum: [regression, improvement, no_change, insufficient_data, null]
              change:
                type: string
                nullable: true
                enum: [leak_introduced, leak_worse, worse, looks_fixed, leak_slowed, better, same_leak, no_change, insufficient_data, null]
              summary:
                type: string
                nullable: true
    Stored:
      type: object
      additionalProperties: false
      required: [stored, already_stored]
      properties:
        stored:
          type: integer
          description: Events committed.
        already_stored:
          type: integer
          description: Events the database held already (a retried request), recognised and skipped.
    Health:
      type: object
      additionalProperties: false
      required: [status, database, uptime_secs]
      properties:
        status:
          type: string
          enum: [ok, degraded, unavailable]
          description: "`degraded`: reads work, writes fail (`reason` says why: a read-only file, a full disk)."
        database:
          type: string
          description: Path of the SQLite file.
        schema_version:
          type: integer
        sources:
          type: integer
        uptime_secs:
          type: number
        error:
          type: string
        reason:
          type: string
          description: Why writes fail, when `status` is `degraded`.
    Sources:
      type: object
      additionalProperties: false
      required: [default_source, sources]
      properties:
        default_source:
          type: string
        sources:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [name, runs, components, running, samples, snapshots, component_samples, first_sample_ms, last_sample_ms, verdict, has_leaks]
            properties:
              name:
                type: string
              runs:
                type: integer
              components:
                type: array
                items:
                  type: object
                  additionalProperties: false
                  required: [name, kind]
                  properties:
                    name:
                      type: string
                    kind:
                      type: string
                      enum: [counted, gauge]
              latest_run_started_ms:
                type: integer
                format: int64
              running:
                type: boolean
                description: The latest run was not closed (still recording, or it ended without closing).
              samples:
                type: integer
                description: Raw samples stored (snapshots and component samples) within retention.
              snapshots:
                type: integer
              component_samples:
                type: integer
              first_sample_ms:
                type: integer
                format: int64
                nullable: true
              last_sample_ms:
                type: integer
                format: int64
                nullable: true
              verdict:
                type: string
                enum: [leaking, no leak, insufficient data, no data]
                description: Over the source's default window (the last 10 minutes, or its newest run when shorter).
              has_leaks:
                type: boolean
              window_from_ms:
                type: integer
                format: int64
              window_to_ms:
                type: integer
                format: int64
    Runs:
      type: object
      additionalProperties: false
      required: [runs]
      properties:
        runs:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [source, id, started_ms, ended_ms, pid, command, version, labels, running, samples, snapshots, component_samples, first_sample_ms, last_sample_ms]
            properties:
              source:
                type: string
              id:
                type: integer
                format: int64
              version:
                type: string
                nullable: true
                description: The version the run ran (watch --version, LeakRecorder(version:), a restart event's version).
              labels:
                type: object
                description: The run's free labels (host, commit …).
                additionalProperties:
                  type: string
              started_ms:
                type: integer
                format: int64
              ended_ms:
                type: integer
                format: int64
                nullable: true
                description: Null while running, or when the process ended without closing its recorder.
              pid:
                type: integer
                format: int64
                nullable: true
              command:
                type: string
                nullable: true
              running:
                type: boolean
              samples:
                type: integer
              snapshots:
                type: integer
              component_samples:
                type: integer
              first_sample_ms:
                type: integer
                format: int64
                nullable: true
              last_sample_ms:
                type: integer
                format: int64
                nullable: true
    BaselineRequest:
      type: object
      additionalProperties: false
      maxProperties: 1
      description: Empty, or one of usage_bytes and usage_mb (at most 1 PiB).
      properties:
        usage_bytes:
          type: integer
          format: int64
          minimum: 0
          maximum: 1125899906842624
        usage_mb:
          type: integer
          format: int64
          minimum: 0
          maximum: 1073741824
    BaselineState:
      type: object
      additionalProperties: false
      required: [source, baseline]
      properties:
        source:
          type: string
        baseline:
          type: object
          nullable: true
          additionalProperties: false
          required: [ts_ms, usage_bytes, usage_mb, component_bytes]
          properties:
            ts_ms:
              type: integer
              format: int64
            usage_bytes:
              type: integer
              format: int64
            usage_mb:
              type: integer
            component_bytes:
              type: object
              additionalProperties:
                type: integer
                format: int64
            sample_ts_ms:
              type: integer
              format: int64
              description: Set without a usage, the time of the sample the usage was taken from.
    BaselineCleared:
      type: object
      additionalProperties: false
      required: [source, cleared]
      properties:
        source:
          type: string
        cleared:
          type: boolean
    LeakReport:
      type: object
      additionalProperties: false
      required: [has_leaks, overall_growth_rate, growth_mb_per_minute, time_window_secs, leak_candidates,
                 recommendations, baseline_mb, current_mb, timestamp, baseline_bytes, current_bytes, sample_count]
      properties:
        has_leaks:
          type: boolean
        overall_growth_rate:
          type: number
          description: Percent change from the oldest to the newest sample (runs joined at restarts).
        growth_mb_per_minute:
          type: number
        time_window_secs:
          type: integer
        leak_candidates:
          type: array
          items:
            $ref: "#/components/schemas/LeakCandidate"
        recommendations:
          type: array
          items:
            type: string
        baseline_mb:
          type: integer
          nullable: true
          description: MiB at the baseline; null (the key present) without one.
        current_mb:
          type: integer
        timestamp:
          type: integer
          description: Unix seconds when the report was made.
        baseline_bytes:
          type: integer
          format: int64
          nullable: true
        current_bytes:
          type: integer
          format: int64
        sample_count:
          type: integer
        source:
          type: string
        window_from_ms:
          type: integer
          format: int64
        window_to_ms:
          type: integer
          format: int64
        trend:
          $ref: "#/components/schemas/TrendVerdict"
    LeakCandidate:
      type: object
      additionalProperties: false
      required: [component, allocated_mb, net_allocations, age_secs, severity, growth_rate, allocated_bytes,
                 growth_bytes, reasons]
      properties:
        component:
          type: string
        allocated_mb:
          type: integer
        net_allocations:
          type: integer
          format: int64
        age_secs:
          type: integer
        severity:
          type: string
          enum: [Low, Medium, High, Critical]
        growth_rate:
          type: number
          description: The component's share, in percent, of all components' growth.
        allocated_bytes:
          type: integer
          format: int64
        growth_bytes:
          type: integer
          format: int64
        allocations:
          type: integer
          format: int64
          nullable: true
        deallocations:
          type: integer
          format: int64
          nullable: true
        retention_percent:
          type: number
          nullable: true
        reasons:
          type: array
          items:
            type: string
            enum: [pattern, size, trend]
        trend:
          $ref: "#/components/schemas/TrendVerdict"
    TrendVerdict:
      type: object
      additionalProperties: false
      description: |
        The verdict of one series: whether it leaks, since when (growing_since) and how
        fast (rate_bytes_per_hour: the fitted rate of the current regime, the one figure
        for "how fast"). The series is segmented (up to two change points); the current
        regime is judged by the checks, the first failing one is rejected_by.
      required: [status, is_leaking, rejected_by, explanation, sample_count, run_count, analysis, span_secs,
                 regime_start_ms, growing_since_ms, growing_since, rate_bytes_per_hour, rate_text, rate_error_bytes_per_hour,
                 net_rate_bytes_per_hour, net_rate_error_bytes_per_hour, rate_percent_per_hour, growth_since_onset_bytes, noise_bytes, time_to_limit_secs,
                 envelope, segments, checks]
      properties:
        status:
          type: string
          enum: [leaking, not_leaking, insufficient_data, no_data]
        is_leaking:
          type: boolean
        rejected_by:
          type: string
          nullable: true
          enum: [samples, step, slope, growth_floor, noise, tail, null]
          description: The check that said no.
        explanation:
          type: string
        sample_count:
          type: integer
        run_count:
          type: integer
        analysis:
          type: string
          enum: [single_run, joined_runs]
        span_secs:
          type: number
        regime_start_ms:
          type: integer
          format: int64
          nullable: true
          description: Where the current regime begins (Unix ms).
        growing_since_ms:
          type: integer
          format: int64
          nullable: true
          description: When the leak began (Unix ms); set only when leaking.
        growing_since:
          type: string
          nullable: true
          description: growing_since_ms as ISO 8601 UTC.
        rate_bytes_per_hour:
          type: number
        rate_text:
          type: string
          description: The rate for a reader (MiB/h, MiB/min or MiB/s).
        rate_error_bytes_per_hour:
          type: number
          nullable: true
          description: The standard error of the rate (residual noise, autocorrelation allowed for); null when it cannot be known.
        net_rate_bytes_per_hour:
          type: number
          nullable: true
          description: The fitted model's net rate over the whole series (its growth from the first sample to the last over the span).
        net_rate_error_bytes_per_hour:
          type: number
          nullable: true
        rate_percent_per_hour:
          type: number
        growth_since_onset_bytes:
          type: integer
          format: int64
        noise_bytes:
          type: integer
          format: int64
        time_to_limit_secs:
          type: number
          nullable: true
        envelope:
          type: object
          nullable: true
          additionalProperties: false
          description: Present when the trend was read from the lower envelope of a sawtooth.
          required: [troughs, period_secs, amplitude_bytes]
          properties:
            troughs:
              type: integer
            period_secs:
              type: number
            amplitude_bytes:
              type: integer
              format: int64
        segments:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [start_ms, end_ms, rate_bytes_per_hour, start_bytes, end_bytes]
            properties:
              start_ms:
                type: integer
                format: int64
              end_ms:
                type: integer
                format: int64
              rate_bytes_per_hour:
                type: number
              start_bytes:
                type: integer
                format: int64
              end_bytes:
                type: integer
                format: int64
        checks:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [name, passed, detail, figures]
            properties:
              name:
                type: string
                enum: [samples, step, slope, growth_floor, noise, tail]
              passed:
                type: boolean
              detail:
                type: string
              figures:
                type: object
                additionalProperties:
                  type: number
    TrendSeries:
      type: object
      additionalProperties: false
      required: [source, window, bucket_ms, resolution, buckets]
      properties:
        source:
          type: string
        component:
          type: string
          nullable: true
        window:
          type: object
          additionalProperties: false
          required: [from_ms, to_ms]
          properties:
            from_ms:
              type: integer
              format: int64
            to_ms:
              type: integer
              format: int64
        bucket_ms:
          type: integer
          format: int64
        resolution:
          type: string
          enum: [raw, minute, hour]
        buckets:
          type: array
          items:
            type: object
            additionalProperties: false
            required: [start_ms, min_bytes, max_bytes, last_bytes, mean_bytes, count, run_id]
            properties:
              start_ms:
                type: integer
                format: int64
              min_bytes:
                type: integer
                format: int64
              max_bytes:
                type: integer
                format: int64
              last_bytes:
                type: integer
                format: int64
              mean_bytes:
                type: integer
                format: int64
              count:
                type: integer
              run_id:
                type: integer
                format: int64
        verdict:
          allOf:
            - $ref: "#/components/schemas/TrendVerdict"
          nullable: true
"""#
}
