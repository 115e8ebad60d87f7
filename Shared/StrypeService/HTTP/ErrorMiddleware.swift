import AsyncHTTPClient
import Hummingbird
import Logging
import NIOHTTP1
import NIOPosix
import PostgresNIO

/// Turns every error into the JSON error shape: `APIError` as it is, Hummingbird's `HTTPError` with a code
/// derived from its status (unknown routes become 404 `not_found`), a request body that broke off a 400, a peer,
/// provider or Redis that failed the call a retryable 502/503/504, anything else a logged 500 without internals.
package struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        do {
            return try await next(request, context)
        } catch let error as APIError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError {
            let message: String
            if error.status == .notFound {
                message = "no route for \(request.method) \(request.uri.path)"
            } else {
                message = error.body ?? error.status.reasonPhrase
            }
            let apiError = APIError(
                error.status,
                code: APIError.code(for: error.status),
                message: message,
                headers: error.headers
            )
            return try apiError.response(from: request, context: context)
        } catch is HTTPParserError {
            // The request's own bytes: a body that broke off before its length (the client hung up) or garbled.
            let message = "the request broke off before its end, or is not well-formed HTTP"
            return try APIError(.badRequest, code: "truncated_body", message: message)
                .response(from: request, context: context)
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            let apiError = APIError(error.status, code: APIError.code(for: error.status), message: "\(error.status)")
            return try apiError.response(from: request, context: context)
        } catch {
            if let status = Self.unavailable(error) {
                // An instance killed mid-call, Redis restarting: nothing is wrong with the request, and a client
                // that retries shortly succeeds, so the answer says so instead of a 500.
                context.logger.warning(
                    "a dependency failed the request",
                    metadata: ["error.type": "\(String(reflecting: type(of: error)))", "error": "\(error)"]
                )
                let message = "a service this request needs did not answer; retry shortly"
                return try APIError(status, code: APIError.code(for: status), message: message)
                    .response(from: request, context: context)
            }
            context.logger.error(
                "unexpected error",
                metadata: ["error.type": "\(String(reflecting: type(of: error)))", "error": "\(error)"]
            )
            let apiError = APIError(.internalServerError, code: "internal_error", message: "internal server error")
            return try apiError.response(from: request, context: context)
        }
    }

    /// The status for an error of a dependency rather than of the request: 504 when a peer timed out, 503 when a
    /// peer said it is unavailable or Redis or PostgreSQL cannot be reached (or is shutting down or recovering), 502
    /// when a peer's connection failed; nil otherwise.
    static func unavailable(_ error: any Error) -> HTTPResponse.Status? {
        switch error {
        case let error as HTTPClientError:
            return error == .deadlineExceeded || error == .readTimeout ? .gatewayTimeout : .badGateway
        case is NIOConnectionError:
            return .badGateway
        case let error as ServiceCallError:
            return error.status == 503 ? .serviceUnavailable : .badGateway
        case RedisError.connection:
            return .serviceUnavailable
        case let error as PSQLError:
            let lostConnection: [PSQLError.Code] = [
                .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            ]
            // SQLSTATE class 08 (connection exception) and 57P (shutting down, crashed, starting up).
            let state = error.serverInfo?[.sqlState] ?? ""
            let unavailable = lostConnection.contains(error.code) || state.hasPrefix("08") || state.hasPrefix("57P")
            return unavailable ? .serviceUnavailable : nil
        default:
            return nil
        }
    }
}
