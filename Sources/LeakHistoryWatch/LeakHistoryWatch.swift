// LeakHistoryWatch — watching real Linux processes and cgroups.
//
// Lives here: Probes/ (readers of /proc/PID/status, smaps_rollup and cgroup
// v2 memory files, process trees and the stable names of their programs),
// Session/ (starting a child in its own process group, the sampling loop
// that records into a LeakRecorder, wake-ups, stopping the whole tree).
//
// May import: LeakHistory (and through it LeakHistoryAnalysis), Logging and
// the system modules. It is what `leak-history watch` and `demo` use; an app
// that embeds the recorder does not link it.
