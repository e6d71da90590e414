import Foundation
import Hummingbird
import LeakHistory
import Logging

/// Turns every error a route throws into a JSON `{"error": …}` response with
/// the right status, so a client never sees an empty body or a bare 500.
///
/// ```swift
/// router.add(middleware: JSONErrorMiddleware(maxBodyBytes: 8 << 20, routes: index))
/// ```
///
/// Library input errors (`InputError`, `ConfigurationError`) are the caller's
/// fault: 400. Anything unexpected is logged with its details and answered
/// with a 500 that does not leak them.
struct JSONErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    let maxBodyBytes: Int
    let routes: RouteIndex

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            let apiError = translate(error, request: request, context: context)
            return try apiError.response(from: request, context: context)
        }
    }

    private func translate(_ error: any Error, request: Request, context: Context) -> APIError {
        switch error {
        case let error as APIError:
            return error
        case let error as InputError:
            return .badRequest(error)
        case let error as HistoryDatabaseError:
            switch error {
            case .storage(let failure) where failure.kind == .busy:
                return APIError(.serviceUnavailable, error.description, headers: [.retryAfter: "1"])
            case .storage(let failure) where failure.kind == .diskFull:
                return APIError(.init(code: 507, reasonPhrase: "Insufficient Storage"), error.description)
            case .storage, .closed:
                return APIError(.serviceUnavailable, error.description)
            }
        case let error as ConfigurationError:
            return APIError(.badRequest, error.description)
        case let error as HTTPError:
            if error.status == .notFound && error.body == nil {
                // The router answers 404 for a known path with the wrong method too.
                if let allowed = routes.allowedMethods(for: request.uri.path) {
                    let list = allowed.joined(separator: ", ")
                    return APIError(.methodNotAllowed, "method: \(request.method) is not allowed on \(request.uri.path) (allowed: \(list))",
                                    headers: [.allow: list])
                }
                return APIError(.notFound, "no route \(request.method) \(request.uri.path) (GET /openapi.yaml lists the API)")
            }
            return APIError(error.status, error.body ?? error.status.reasonPhrase, headers: error.headers)
        case let error as any HTTPResponseError:
            // NIO's too-many-bytes error arrives here when a body outgrows the collector's limit.
            if error.status == .contentTooLarge {
                return APIError(.contentTooLarge, "body: the request body is larger than the \(maxBodyBytes)-byte limit")
            }
            return APIError(error.status, error.status.reasonPhrase)
        default:
            context.logger.error("request failed", metadata: [
                "http.method": "\(request.method)", "http.path": "\(request.uri.path)", "error": "\(error)",
            ])
            return APIError(.internalServerError, "internal error: the server logged the details")
        }
    }
}
