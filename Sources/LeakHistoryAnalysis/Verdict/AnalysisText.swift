/// The few ways the analysis writes figures for a person: one rate format
/// (in the unit that reads best), sizes in MiB or KiB, durations, UTC times.
/// Every report, the watch progress line and the dashboard's text use these.
public enum AnalysisText {
    static package let mib = Double(ByteSize.bytesPerMB)

    /// `+38.20 MiB/h`; `+2.50 MiB/min` from 1 MiB/min; `+4.00 MiB/s` from
    /// 1 MiB/s; `+512.0 KiB/h` below 0.1 MiB/h.
    public static func rate(bytesPerHour: Double) -> String {
        let perHour = bytesPerHour / mib
        let sign = bytesPerHour < 0 ? "-" : "+"
        let magnitude = abs(perHour)
        if magnitude >= 3600 { return sign + DecimalText.fixed(magnitude / 3600, 2) + " MiB/s" }
        if magnitude >= 60 { return sign + DecimalText.fixed(magnitude / 60, 2) + " MiB/min" }
        if magnitude >= 0.1 || magnitude == 0 { return sign + DecimalText.fixed(magnitude, 2) + " MiB/h" }
        return sign + DecimalText.fixed(abs(bytesPerHour) / 1024, 1) + " KiB/h"
    }

    /// `12.3 MiB`, or `512.0 KiB` below 0.1 MiB.
    public static func size(_ bytes: Double) -> String {
        let m = bytes / mib
        return abs(m) >= 0.1 || bytes == 0 ? DecimalText.fixed(m, 1) + " MiB" : DecimalText.fixed(bytes / 1024, 1) + " KiB"
    }

    /// `+12.3 MiB` (sign always shown).
    public static func signedSize(_ bytes: Double) -> String {
        (bytes < 0 ? "-" : "+") + size(abs(bytes))
    }

    /// A duration as a person reads it: `250 ms`, `45 s`, `20.4 s`,
    /// `12.5 min`, `3.2 h`, `4 d` (a tenth shown only when it is not zero).
    /// The one duration format of verdicts, reports and the CLI's lines.
    public static func duration(ms: Double) -> String {
        let s = ms / 1000
        func trimmed(_ v: Double) -> String {
            abs(v - v.rounded()) < 0.05 ? String(Int(v.rounded())) : DecimalText.fixed(v, 1)
        }
        switch s {
        case ..<1: return "\(Int(ms.rounded())) ms"
        case ..<120: return trimmed(s) + " s"
        case ..<7200: return trimmed(s / 60) + " min"
        case ..<172_800: return trimmed(s / 3600) + " h"
        default: return trimmed(s / 86_400) + " d"
        }
    }

    /// `duration(ms:)` of a number of seconds.
    public static func duration(seconds: Double) -> String { duration(ms: seconds * 1000) }

    /// ISO 8601 in UTC to the second: `2026-12-01T09:14:05Z`.
    public static func timestamp(ms: Int64) -> String {
        let civil = CivilTime(ms: ms), secs = civil.msOfDay / 1000
        func two(_ v: Int64) -> String { v < 10 ? "0\(v)" : "\(v)" }
        return "\(civil.year)-\(two(civil.month))-\(two(civil.day))T\(two(secs / 3600)):\(two(secs % 3600 / 60)):\(two(secs % 60))Z"
    }

}
