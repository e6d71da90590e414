/// What a run ran: the program's version and a few free labels (`host`,
/// `commit`, `region` …), so runs and versions can be compared.
///
/// ```swift
/// let deployment = try RunDeployment(version: "1.4.2", labels: ["host": "web-1"])
/// let recorder = try LeakRecorder(path: "leaks.sqlite", version: "1.4.2")
/// ```
///
/// A version is 1…64 characters of letters, digits and `. _ - + : ~ /`
/// (`1.4.2`, `v2.0.0-rc.1+build.7`, `release/1.4`, a commit hash), so it can
/// stand in a list such as `versions=1.4.1,1.4.2`. A label key is 1…64 of
/// lower-case letters, digits and `_ . -`, starting with a letter; a value is
/// a name (1…256 bytes, no control characters); a run has at most 16 labels.
public struct RunDeployment: Sendable, Equatable, Hashable {
    public var version: String?
    public var labels: [String: String]

    /// No version and no labels.
    public static let none = RunDeployment(unchecked: nil, labels: [:])

    public static let maxVersionLength = 64
    public static let maxLabelKeyLength = 64
    public static let maxLabels = 16

    /// Checks the version and labels (see the type's documentation).
    public init(version: String? = nil, labels: [String: String] = [:]) throws {
        if let version { try Self.validateVersion(version) }
        try Self.validateLabels(labels)
        self.version = version
        self.labels = labels
    }

    package init(unchecked version: String?, labels: [String: String]) {
        self.version = version
        self.labels = labels
    }

    public var isEmpty: Bool { version == nil && labels.isEmpty }

    /// `version 1.4.2, host=web-1`, or `no version`.
    public var text: String {
        ([version.map { "version \($0)" } ?? "no version"] + (labelText.map { [$0] } ?? [])).joined(separator: ", ")
    }

    /// `commit=ab12cd,host=web-1` (by key), or `nil` without labels.
    public var labelText: String? {
        labels.isEmpty ? nil : labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// Throws unless `version` is 1…64 letters, digits and `. _ - + : ~ /`.
    public static func validateVersion(_ version: String, field: String = "version") throws {
        guard !version.isEmpty else { throw InputError(field: field, message: "the version is empty") }
        guard version.unicodeScalars.count <= maxVersionLength else {
            throw InputError(field: field, message: "the version is \(version.unicodeScalars.count) characters long; the limit is \(maxVersionLength)")
        }
        let punctuation = Set("._-+:~/".unicodeScalars)
        if let bad = version.unicodeScalars.first(where: { !($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) && !punctuation.contains($0) }) {
            let shown = bad.properties.generalCategory == .control || bad == " " ? "U+" + String(bad.value, radix: 16, uppercase: true) : "'\(bad)'"
            throw InputError(field: field, message: "the version holds \(shown); a version is letters, digits and . _ - + : ~ / (e.g. 1.4.2, v2.0.0-rc.1)")
        }
    }

    /// Throws unless every key and value is valid and there are at most 16.
    public static func validateLabels(_ labels: [String: String], field: String = "labels") throws {
        guard labels.count <= maxLabels else {
            throw InputError(field: field, message: "\(labels.count) labels; a run has at most \(maxLabels)")
        }
        for key in labels.keys.sorted() {
            try validateLabelKey(key, field: field)
            try InputRules.validateName(labels[key]!, field: "\(field).\(key)")
        }
    }

    /// Throws unless `key` is 1…64 of `a-z 0-9 _ . -`, starting with a letter, and not `version`.
    public static func validateLabelKey(_ key: String, field: String = "labels") throws {
        let allowed = key.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "_" || $0 == "." || $0 == "-" }
        guard !key.isEmpty, key.count <= maxLabelKeyLength, allowed, key.first!.isLetter else {
            throw InputError(field: field, message: "'\(key.prefix(80))' is not a label key: 1…\(maxLabelKeyLength) of a-z, 0-9, _ . -, starting with a letter")
        }
        guard key != "version" else {
            throw InputError(field: field, message: "'version' is not a label: give the version as the run's version")
        }
    }

    /// `key=value` (as `watch --label` takes it) into a key and a value.
    public static func parseLabel(_ text: String, field: String = "label") throws -> (key: String, value: String) {
        guard let equals = text.firstIndex(of: "=") else {
            throw InputError(field: field, message: "'\(text.prefix(80))' is not key=value (e.g. host=web-1)")
        }
        let key = String(text[..<equals]), value = String(text[text.index(after: equals)...])
        try validateLabelKey(key, field: field)
        try InputRules.validateName(value, field: "\(field) \(key)")
        return (key, value)
    }
}
