-- Benchmark baseline only: the plain row table dumped by `sqlite3 -csv`, beside our CSV export.
SELECT * FROM bench_plain_sample
