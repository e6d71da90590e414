import Foundation
import Hummingbird
import LeakHistoryAnalysis
import NIOCore

/// The API's JSON encoder: the bytes Foundation's `JSONEncoder` writes with
/// `[.sortedKeys, .withoutEscapingSlashes]`, written straight into one byte
/// array instead of through a tree of boxed values (about a fifth of the
/// work for a window report).
///
/// Values are written as they are encoded. An object's members are written
/// in the order its `encode(to:)` gives them and, when that order is not
/// sorted, moved into sorted order (by their keys' UTF-8 bytes, as
/// Foundation sorts) when the object closes. That needs containers to nest
/// as Swift's synthesized and our own conformances use them: each opened
/// inside the one before, written until done. Anything else (a closed
/// container written to again, a key given twice, `superEncoder`, the types
/// Foundation writes in its own way: `Date`, `Data`, `URL`, `Decimal`, a
/// value that is not finite) stops the fast path and the whole value is
/// encoded by Foundation's `JSONEncoder` instead, which gives its own bytes
/// or its own error. So the answer is always Foundation's.
public struct SortedJSONEncoder: ResponseEncoder, Sendable {
    public init() {}

    /// The JSON of `value`.
    public func encode(_ value: some Encodable) throws -> [UInt8] {
        if let bytes = try? JSONWriting.encode(value) { return bytes }
        return Array(try Self.foundation.encode(value))
    }

    public func encode(_ value: some Encodable, from request: Request, context: some RequestContext) throws -> Response {
        let bytes = try encode(value)
        return Response(
            status: .ok,
            headers: [.contentType: "application/json; charset=utf-8", .contentLength: bytes.count.description],
            body: .init(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }

    /// The encoder whose bytes these are, and the fallback.
    static var foundation: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}

/// Why the fast path gave up; the caller then asks Foundation.
struct JSONWritingUnsupported: Error {
    var reason: String
}

/// The state of one encoding: the bytes so far and the containers still open.
///
/// (Its state is touched for every byte written; `@exclusivity(unchecked)`
/// spares each touch the runtime's check for overlapping access, which cost
/// more than the writing. The state is the one encoding's, on one thread.)
final class JSONWriting {
    @exclusivity(unchecked) private(set) var bytes: [UInt8] = []

    /// An open object or array: where its bracket is, how many members it has
    /// so far and, for an object, where its members' entries begin in `entries`.
    private struct Frame {
        let id: Int
        let isObject: Bool
        let start: Int
        let firstEntry: Int
        var count = 0
        var sorted = true
    }

    /// A member of an open object: where its key's opening quote is, how long
    /// the key is (its bytes follow the quote, unescaped: a key that needs
    /// escaping gives up the fast path) and its first eight bytes as a
    /// big-endian number, so that most comparisons are one.
    private struct Entry {
        var start: Int
        var keyLength: Int
        var prefix: UInt64
    }

    /// The open containers, innermost last.
    @exclusivity(unchecked) private var frames: [Frame] = []
    /// The members of every open object (each object's after its parent's members up to it).
    @exclusivity(unchecked) private var entries: [Entry] = []
    /// Where an object's members are put in order.
    @exclusivity(unchecked) private var scratch: [UInt8] = []
    private var nextID = 0
    /// Set where a use of the containers cannot throw (asking for a second
    /// container, `superEncoder`): the fast path has given up.
    var unsupported: JSONWritingUnsupported?

    static func encode(_ value: some Encodable) throws -> [UInt8] {
        let writing = JSONWriting()
        writing.bytes.reserveCapacity(8192)
        try writing.value(value, parent: nil, key: nil)
        if let unsupported = writing.unsupported { throw unsupported }
        return writing.bytes
    }

    // MARK: Containers

    func open(object: Bool) -> Int {
        nextID += 1
        frames.append(Frame(id: nextID, isObject: object, start: bytes.count, firstEntry: entries.count))
        bytes.append(object ? UInt8(ascii: "{") : UInt8(ascii: "["))
        return nextID
    }

    /// Makes `id` the innermost open container, closing the ones inside it.
    @inline(__always)
    private func activate(_ id: Int) throws {
        if frames.last?.id == id { return }
        while let top = frames.last, top.id != id {
            guard top.id > id else { throw JSONWritingUnsupported(reason: "a container written to after it was closed") }
            try closeTop()
        }
        guard !frames.isEmpty else { throw JSONWritingUnsupported(reason: "a container written to after it was closed") }
    }

    func isOpen(_ id: Int) -> Bool { frames.contains { $0.id == id } }

    /// Closes `id` and every container inside it.
    func close(_ id: Int) throws {
        try activate(id)
        try closeTop()
    }

    private func closeTop() throws {
        let frame = frames.removeLast()
        guard frame.isObject else {
            bytes.append(UInt8(ascii: "]"))
            return
        }
        if !frame.sorted { try sortMembers(of: frame) }
        entries.removeSubrange(frame.firstEntry...)
        bytes.append(UInt8(ascii: "}"))
    }

    /// Puts the members of `frame`, written in the order given, in key order.
    /// Each member runs from its key's quote to the comma before the next.
    private func sortMembers(of frame: Frame) throws {
        let first = frame.firstEntry
        var spans = entries[first...].enumerated().map { offset, entry in
            let next = first + offset + 1
            return (entry: entry, end: next < entries.count ? entries[next].start - 1 : bytes.count)
        }
        try bytes.withUnsafeBufferPointer { buffer in
            // Insertion sort: an object has tens of members, most already in place.
            for i in 1..<spans.count {
                let moving = spans[i]
                var j = i
                while j > 0, Self.compare(moving.entry, spans[j - 1].entry, in: buffer) < 0 {
                    spans[j] = spans[j - 1]
                    j -= 1
                }
                guard j == 0 || Self.compare(moving.entry, spans[j - 1].entry, in: buffer) != 0 else {
                    throw JSONWritingUnsupported(reason: "a key given twice")
                }
                spans[j] = moving
            }
        }
        scratch.removeAll(keepingCapacity: true)
        for (i, span) in spans.enumerated() {
            if i > 0 { scratch.append(UInt8(ascii: ",")) }
            scratch.append(contentsOf: bytes[span.entry.start..<span.end])
        }
        bytes.removeSubrange((frame.start + 1)...)
        bytes.append(contentsOf: scratch)
    }

    /// Foundation's order for sorted keys: by UTF-8 bytes.
    private static func compare(_ a: Entry, _ b: Entry, in buffer: UnsafeBufferPointer<UInt8>) -> Int {
        if a.prefix != b.prefix { return a.prefix < b.prefix ? -1 : 1 }
        let common = min(a.keyLength, b.keyLength)
        if common > 8 {
            let order = memcmp(buffer.baseAddress! + a.start + 9, buffer.baseAddress! + b.start + 9, common - 8)
            if order != 0 { return Int(order) }
        }
        return a.keyLength == b.keyLength ? 0 : (a.keyLength < b.keyLength ? -1 : 1)
    }

    /// Starts the member `key` of object `id`: what is written next is its value.
    func key(_ key: String, in id: Int) throws {
        try activate(id)
        let top = frames.count - 1
        if frames[top].count > 0 { bytes.append(UInt8(ascii: ",")) }
        let start = bytes.count
        guard string(key) else { throw JSONWritingUnsupported(reason: "a key that needs escaping") }
        let keyLength = bytes.count - start - 2
        var prefix: UInt64 = 0
        for i in 0..<8 { prefix = prefix << 8 | UInt64(i < keyLength ? bytes[start + 1 + i] : 0) }
        let entry = Entry(start: start, keyLength: keyLength, prefix: prefix)
        if frames[top].count > 0, frames[top].sorted {
            let ordered = bytes.withUnsafeBufferPointer { Self.compare(entries[entries.count - 1], entry, in: $0) < 0 }
            if !ordered { frames[top].sorted = false }
        }
        frames[top].count += 1
        entries.append(entry)
        bytes.append(UInt8(ascii: ":"))
    }

    /// Starts the next element of array `id`.
    func element(in id: Int) throws {
        try activate(id)
        let top = frames.count - 1
        if frames[top].count > 0 { bytes.append(UInt8(ascii: ",")) }
        frames[top].count += 1
    }

    func count(of id: Int) -> Int { frames.last { $0.id == id }?.count ?? 0 }

    /// A nested container opened after `start` (its key, or its comma); nil,
    /// and the fast path given up, when that fails.
    func opening(object: Bool, after start: () throws -> Void) -> Int? {
        do {
            try start()
            return open(object: object)
        } catch {
            unsupported = error as? JSONWritingUnsupported ?? JSONWritingUnsupported(reason: "\(error)")
            return nil
        }
    }

    /// What `superEncoder` hands out: Foundation writes a "super" member, so
    /// the fast path gives up; the encoder writes into a throwaway state.
    func refusal(_ codingPath: [any CodingKey]) -> any Encoder {
        unsupported = JSONWritingUnsupported(reason: "superEncoder")
        return JSONWritingEncoder(writing: JSONWriting(), path: .root(codingPath))
    }

    // MARK: Values

    func null() { bytes.append(contentsOf: [0x6E, 0x75, 0x6C, 0x6C]) }

    func bool(_ value: Bool) {
        if value { bytes.append(contentsOf: [0x74, 0x72, 0x75, 0x65]) } else { bytes.append(contentsOf: [0x66, 0x61, 0x6C, 0x73, 0x65]) }
    }

    func integer<I: FixedWidthInteger>(_ value: I) {
        if I.Magnitude.bitWidth <= 64 {
            DecimalDigits.append(magnitude: UInt64(truncatingIfNeeded: value.magnitude), negative: value < 0, to: &bytes)
        } else {
            bytes.append(contentsOf: value.description.utf8)
        }
    }

    /// A float as Foundation writes it: its shortest description, without a trailing ".0".
    func float<F: BinaryFloatingPoint & CustomStringConvertible>(_ value: F) throws {
        guard value.isFinite else { throw JSONWritingUnsupported(reason: "\(value) is not a JSON number") }
        var text = value.description
        text.withUTF8 { utf8 in
            let n = utf8.count
            let integral = n >= 2 && utf8[n - 2] == UInt8(ascii: ".") && utf8[n - 1] == UInt8(ascii: "0")
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[..<(integral ? n - 2 : n)]))
        }
    }

    /// Writes `value` quoted and escaped as Foundation escapes; false when
    /// something in it needed escaping.
    @discardableResult
    func string(_ value: String) -> Bool {
        var value = value
        return value.withUTF8 { utf8 in
            bytes.append(UInt8(ascii: "\""))
            var runStart = 0
            var clean = true
            var i = 0
            let count = utf8.count
            while i < count {
                // Eight bytes at a time while none of them needs escaping.
                if i + 8 <= count, !Self.needsEscape(UnsafeRawPointer(utf8.baseAddress! + i).loadUnaligned(as: UInt64.self)) {
                    i += 8
                    continue
                }
                let byte = utf8[i]
                i += 1
                guard byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") else { continue }
                clean = false
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<(i - 1)]))
                runStart = i
                bytes.append(UInt8(ascii: "\\"))
                switch byte {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(byte)
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(byte >> 4)], hex[Int(byte & 15)]])
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...]))
            bytes.append(UInt8(ascii: "\""))
            return clean
        }
    }

    /// Whether any of the eight bytes of `word` is a control character, a
    /// quote or a backslash (the classic test for a zero byte, on the word
    /// xored with a quote's and a backslash's bytes, and for a byte under 0x20).
    @inline(__always)
    static func needsEscape(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ v: UInt64) -> UInt64 { (v &- ones) & ~v & highs }
        let below = (word &- ones &* 0x20) & ~word & highs
        return (below | hasZero(word ^ (ones &* 0x22)) | hasZero(word ^ (ones &* 0x5C))) != 0
    }

    /// Writes `value` at the current place: the common leaves directly, any
    /// other value through its `encode(to:)`, with an encoder at `key` of `parent`.
    /// (A dictionary's values and an array's elements arrive here whatever
    /// their type, so the leaves are told apart by their type, not by a cast.)
    func value<T: Encodable>(_ value: T, parent: JSONWritingEncoder?, key: (any CodingKey)?) throws {
        if T.self == Double.self {
            try float(unsafeBitCast(value, to: Double.self))
        } else if T.self == String.self {
            string(unsafeBitCast(value, to: String.self))
        } else if T.self == Int.self {
            integer(unsafeBitCast(value, to: Int.self))
        } else if T.self == Int64.self {
            integer(unsafeBitCast(value, to: Int64.self))
        } else if T.self == Bool.self {
            bool(unsafeBitCast(value, to: Bool.self))
        } else if T.self == Date.self || T.self == Data.self || T.self == URL.self || T.self == Decimal.self {
            throw JSONWritingUnsupported(reason: "\(T.self) is written by Foundation in its own way")
        } else {
            let encoder = JSONWritingEncoder(writing: self, path: parent.map { .child(of: $0, key: key) } ?? .root([]))
            try value.encode(to: encoder)
            if let id = encoder.container {
                try close(id)
            } else if !encoder.wroteSingleValue {
                // Foundation writes a value that encoded nothing as an empty
                // object, and refuses one at the top.
                guard parent != nil else { throw JSONWritingUnsupported(reason: "a top-level value that encoded nothing") }
                bytes.append(contentsOf: [UInt8(ascii: "{"), UInt8(ascii: "}")])
            }
        }
    }
}

/// Where an encoder is, kept as a link to its parent and worked out only
/// when asked: most values never look.
enum JSONWritingPath {
    case root([any CodingKey])
    case child(of: JSONWritingEncoder, key: (any CodingKey)?)

    var codingPath: [any CodingKey] {
        switch self {
        case .root(let path): path
        case .child(let parent, let key): parent.codingPath + (key.map { [$0] } ?? [])
        }
    }
}

/// The `Encoder` handed to one value's `encode(to:)`: at most one container.
final class JSONWritingEncoder: Encoder {
    let writing: JSONWriting
    let path: JSONWritingPath
    var codingPath: [any CodingKey] { path.codingPath }
    var userInfo: [CodingUserInfoKey: Any] { [:] }
    /// The object or array this value opened.
    private(set) var container: Int?
    private var containerIsObject = false
    var wroteSingleValue = false

    init(writing: JSONWriting, path: JSONWritingPath) {
        self.writing = writing
        self.path = path
    }

    /// The container this value writes into: opened on first use; asked for
    /// again (as a superclass's encoding does) the same one while it is open.
    private func opened(object: Bool) -> Int? {
        if let container {
            if containerIsObject == object && writing.isOpen(container) { return container }
            writing.unsupported = JSONWritingUnsupported(reason: "a second container for one value")
            return nil
        }
        guard !wroteSingleValue else {
            writing.unsupported = JSONWritingUnsupported(reason: "a container after a single value")
            return nil
        }
        container = writing.open(object: object)
        containerIsObject = object
        return container
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        KeyedEncodingContainer(JSONWritingObject<Key>(encoder: self, id: opened(object: true)))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        JSONWritingArray(encoder: self, id: opened(object: false))
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        JSONWritingSingleValue(encoder: self)
    }
}

struct JSONWritingObject<Key: CodingKey>: KeyedEncodingContainerProtocol {
    /// The value this object is, or (for a nested container) an encoder
    /// standing for the member it is.
    let encoder: JSONWritingEncoder
    /// nil: the container could not be opened; every write gives up.
    let id: Int?
    var codingPath: [any CodingKey] { encoder.codingPath }
    private var writing: JSONWriting { encoder.writing }

    private func key(_ key: Key) throws {
        guard let id else { throw JSONWritingUnsupported(reason: "a second container for one value") }
        try writing.key(key.stringValue, in: id)
    }

    mutating func encodeNil(forKey key: Key) throws { try self.key(key); writing.null() }
    mutating func encode(_ value: Bool, forKey key: Key) throws { try self.key(key); writing.bool(value) }
    mutating func encode(_ value: String, forKey key: Key) throws { try self.key(key); writing.string(value) }
    mutating func encode(_ value: Double, forKey key: Key) throws { try self.key(key); try writing.float(value) }
    mutating func encode(_ value: Float, forKey key: Key) throws { try self.key(key); try writing.float(value) }
    mutating func encode(_ value: Int, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: Int8, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: Int16, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: Int32, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: Int64, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: UInt, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: UInt8, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: UInt16, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: UInt32, forKey key: Key) throws { try self.key(key); writing.integer(value) }
    mutating func encode(_ value: UInt64, forKey key: Key) throws { try self.key(key); writing.integer(value) }

    mutating func encode<T: Encodable>(_ value: T, forKey key: Key) throws {
        try self.key(key)
        try writing.value(value, parent: encoder, key: key)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key) -> KeyedEncodingContainer<NestedKey> {
        let nested = writing.opening(object: true) { try self.key(key) }
        let member = JSONWritingEncoder(writing: writing, path: .child(of: encoder, key: key))
        return KeyedEncodingContainer(JSONWritingObject<NestedKey>(encoder: member, id: nested))
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        let nested = writing.opening(object: false) { try self.key(key) }
        return JSONWritingArray(encoder: JSONWritingEncoder(writing: writing, path: .child(of: encoder, key: key)), id: nested)
    }

    mutating func superEncoder() -> any Encoder { writing.refusal(codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder { writing.refusal(codingPath + [key]) }
}

struct JSONWritingArray: UnkeyedEncodingContainer, JSONWritingPlace {
    let encoder: JSONWritingEncoder
    let id: Int?
    var codingPath: [any CodingKey] { encoder.codingPath }
    var writing: JSONWriting { encoder.writing }

    var count: Int { id.map(writing.count(of:)) ?? 0 }

    private func next() throws {
        guard let id else { throw JSONWritingUnsupported(reason: "a second container for one value") }
        try writing.element(in: id)
    }

    func place() throws { try next() }

    mutating func encode<T: Encodable>(_ value: T) throws {
        let index = count
        try next()
        try writing.value(value, parent: encoder, key: JSONWritingIndex(intValue: index))
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type) -> KeyedEncodingContainer<NestedKey> {
        let index = count
        let nested = writing.opening(object: true) { try next() }
        let element = JSONWritingEncoder(writing: writing, path: .child(of: encoder, key: JSONWritingIndex(intValue: index)))
        return KeyedEncodingContainer(JSONWritingObject<NestedKey>(encoder: element, id: nested))
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        let index = count
        let nested = writing.opening(object: false) { try next() }
        return JSONWritingArray(encoder: JSONWritingEncoder(writing: writing, path: .child(of: encoder, key: JSONWritingIndex(intValue: index))), id: nested)
    }

    mutating func superEncoder() -> any Encoder { writing.refusal(codingPath) }
}

/// A value's one value, written where the value goes.
struct JSONWritingSingleValue: SingleValueEncodingContainer, JSONWritingPlace {
    let encoder: JSONWritingEncoder
    var codingPath: [any CodingKey] { encoder.codingPath }
    var writing: JSONWriting { encoder.writing }

    private func claim() throws {
        guard !encoder.wroteSingleValue, encoder.container == nil else {
            throw JSONWritingUnsupported(reason: "a second value for one value")
        }
        encoder.wroteSingleValue = true
    }

    func place() throws { try claim() }

    mutating func encode<T: Encodable>(_ value: T) throws {
        try claim()
        // The value stands in this one's place: the same coding path.
        try writing.value(value, parent: encoder, key: nil)
    }
}

/// An array element's place in `codingPath`.
struct JSONWritingIndex: CodingKey {
    var intValue: Int?
    var stringValue: String { "Index \(intValue ?? 0)" }
    init(intValue: Int) { self.intValue = intValue }
    init?(stringValue: String) { nil }
}

/// An array's next element or a single value's place: the leaves are
/// written the same way into either once `place()` has made room.
protocol JSONWritingPlace {
    var writing: JSONWriting { get }
    func place() throws
}

extension JSONWritingPlace {
    mutating func encodeNil() throws { try place(); writing.null() }
    mutating func encode(_ value: Bool) throws { try place(); writing.bool(value) }
    mutating func encode(_ value: String) throws { try place(); writing.string(value) }
    mutating func encode(_ value: Double) throws { try place(); try writing.float(value) }
    mutating func encode(_ value: Float) throws { try place(); try writing.float(value) }
    mutating func encode(_ value: Int) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: Int8) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: Int16) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: Int32) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: Int64) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: UInt) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: UInt8) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: UInt16) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: UInt32) throws { try place(); writing.integer(value) }
    mutating func encode(_ value: UInt64) throws { try place(); writing.integer(value) }
}
