import Foundation
import Hummingbird
import LeakHistory

/// An error answered as JSON: `{"error": "<what is wrong>"}`, plus one entry
/// per bad line in `errors` when a request body had several.
///
/// ```swift
/// throw APIError(.notFound, "no source 'api' (known: default)")
/// throw APIError.badRequest(InputError(field: "since", message: "'1x' is not a duration"))
/// ```
public struct APIError: Error, HTTPResponseError, Sendable {
    /// One refused line of a request body.
    public struct LineError: Codable, Sendable, Equatable {
        public var line: Int?
        public var field: String
        public var message: String

        public init(_ error: InputError) {
            line = error.line
            field = error.field
            message = error.message
        }
    }

    public var status: HTTPResponse.Status
    public var message: String
    public var errors: [LineError]?
    /// How many lines were bad in all, when `errors` lists only the first of them.
    public var errorCount: Int?
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, _ message: String, errors: [LineError]? = nil, errorCount: Int? = nil,
                headers: HTTPFields = [:]) {
        self.status = status
        self.message = message
        self.errors = errors
        self.errorCount = errorCount
        self.headers = headers
    }

    /// A 400 naming the field and the problem.
    public static func badRequest(_ error: InputError) -> APIError {
        APIError(.badRequest, error.description, errors: error.line == nil ? nil : [LineError(error)])
    }

    /// A 404 for a source the database does not hold, listing the ones it does.
    public static func unknownSource(_ name: String, known: [String]) -> APIError {
        let list = known.isEmpty ? "the database holds no history yet" : "known: \(known.prefix(20).joined(separator: ", "))"
            + (known.count > 20 ? ", …" : "")
        return APIError(.notFound, "source: no source '\(name)' (\(list))")
    }

    private struct Body: Encodable {
        var error: String
        var errors: [LineError]?
        var errorCount: Int?

        enum CodingKeys: String, CodingKey {
            case error
            case errors
            case errorCount = "error_count"
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = try context.responseEncoder.encode(
            Body(error: message, errors: errors, errorCount: errorCount), from: request, context: context)
        response.status = status
        response.headers.append(contentsOf: headers)
        return response
    }
}

extension APIError: CustomStringConvertible {
    public var description: String { "\(status.code) \(message)" }
}
