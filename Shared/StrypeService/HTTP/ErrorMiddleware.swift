import Hummingbird
import Logging

/// Turns every error into the JSON error shape: `APIError` as it is, Hummingbird's `HTTPError` with a code
/// derived from its status (unknown routes become 404 `not_found`), anything else a logged 500 without internals.
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
        } catch let error as any HTTPResponseError where error.status.code < 500 {
            let apiError = APIError(error.status, code: APIError.code(for: error.status), message: "\(error.status)")
            return try apiError.response(from: request, context: context)
        } catch {
            context.logger.error(
                "unexpected error",
                metadata: ["error.type": "\(String(reflecting: type(of: error)))", "error": "\(error)"]
            )
            let apiError = APIError(.internalServerError, code: "internal_error", message: "internal server error")
            return try apiError.response(from: request, context: context)
        }
    }
}
