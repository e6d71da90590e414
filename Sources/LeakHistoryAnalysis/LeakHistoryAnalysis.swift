// LeakHistoryAnalysis — the pure core: what a memory series means.
//
// Lives here: basic values (ByteSize, UnixTime, TimeWindow, DecimalText,
// InputError, checked arithmetic), the report model (LeakReport,
// LeakCandidate, LeakSeverity, LeakDetectionConfig, ComponentKind,
// RunDeployment), series and their envelopes and regimes (Series/), the trend
// checks and verdicts, the classifier and the report builder (Verdict/), and
// the figures that compare runs and versions (Runs/).
//
// May import: the standard library and Foundation only. No I/O: nothing here
// opens a file, a socket or a database, so every function is a function of
// its arguments and every test is a unit test.
