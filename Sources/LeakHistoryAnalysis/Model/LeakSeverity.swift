/// How serious a leak candidate is, from `.low` to `.critical`.
///
/// Encodes as the seed's strings: `"Low"`, `"Medium"`, `"High"`, `"Critical"`.
public enum LeakSeverity: String, Sendable, Codable, CaseIterable, Comparable, CustomStringConvertible {
    case low = "Low"
    case medium = "Medium"
    case high = "High"
    case critical = "Critical"

    package var rank: Int {
        switch self {
        case .low: 0
        case .medium: 1
        case .high: 2
        case .critical: 3
        }
    }

    public static func < (lhs: LeakSeverity, rhs: LeakSeverity) -> Bool {
        lhs.rank < rhs.rank
    }

    public var description: String { rawValue }
}
