-- A component's newest sample time, in any run; ?1 component_id.
SELECT max(ts_ms) FROM component_sample WHERE component_id = ?1;
