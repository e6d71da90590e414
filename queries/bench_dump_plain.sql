SELECT * FROM bench_plain_sample
-- Benchmark baseline only: the plain row table dumped by `sqlite3 -csv` beside our CSV export
-- (SELECT first: an argument that starts with '-' is an option to sqlite3).
