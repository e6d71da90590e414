import ArgumentParser
import Foundation
import LeakHistory

/// A duration on the command line — `250ms`, `90s`, `10m`, `6h`, `30d`, `2w`,
/// `1y`; a bare number is seconds — parsed once, when the arguments are
/// read, so a command's `run()` works with numbers and a typo is refused
/// before anything runs.
///
/// ```swift
/// @Option(help: ArgumentHelp("How long to wait (e.g. 30s).", valueName: "duration"))
/// var busyTimeout: DurationOption = "60s"
/// … busyTimeout.milliseconds, busyTimeout.seconds
/// ```
struct DurationOption: ExpressibleByArgument, ExpressibleByStringLiteral, Sendable, Equatable, CustomStringConvertible {
    /// What was written, for messages and `--help`'s default.
    let text: String
    let milliseconds: Int64

    var seconds: Double { Double(milliseconds) / 1000 }
    var wholeSeconds: UInt64 { UInt64(milliseconds / 1000) }
    var description: String { text }
    var defaultValueDescription: String { text }

    /// `nil` for text that is not a duration; ArgumentParser then names the
    /// option and the value.
    init?(argument: String) {
        guard let ms = try? DurationText.milliseconds(argument) else { return nil }
        text = argument
        milliseconds = ms
    }

    /// A default written in the source; it must be a duration.
    init(stringLiteral value: String) {
        guard let parsed = DurationOption(argument: value) else {
            preconditionFailure("'\(value)' is not a duration")
        }
        self = parsed
    }
}

/// A duration, or `0` (`0`, `0s`, `0ms`) for "none": `--pss-interval 0`.
struct DurationOrZeroOption: ExpressibleByArgument, ExpressibleByStringLiteral, Sendable, Equatable, CustomStringConvertible {
    let text: String
    let milliseconds: Int64

    var seconds: Double { Double(milliseconds) / 1000 }
    var description: String { text }
    var defaultValueDescription: String { text }

    init?(argument: String) {
        if ["0", "0s", "0ms"].contains(argument.trimmingCharacters(in: .whitespaces)) {
            (text, milliseconds) = (argument, 0)
        } else if let duration = DurationOption(argument: argument) {
            (text, milliseconds) = (argument, duration.milliseconds)
        } else {
            return nil
        }
    }

    init(stringLiteral value: String) {
        guard let parsed = DurationOrZeroOption(argument: value) else {
            preconditionFailure("'\(value)' is not a duration")
        }
        self = parsed
    }
}
