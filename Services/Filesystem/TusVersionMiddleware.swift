import Hummingbird
import StrypeService

/// Answers 412 to requests of another tus version and adds `Tus-Resumable` to every answer, errors included.
struct TusVersionMiddleware: RouterMiddleware {
    func handle(
        _ request: Request,
        context: StrypeRequestContext,
        next: (Request, StrypeRequestContext) async throws -> Response
    ) async throws -> Response {
        guard request.headers[TusController.Header.resumable] == TusController.version else {
            throw APIError(
                .preconditionFailed,
                code: "tus_version",
                message: "this server speaks tus \(TusController.version)",
                headers: [TusController.Header.version: TusController.version]
            )
        }
        do {
            var response = try await next(request, context)
            response.headers[TusController.Header.resumable] = TusController.version
            return response
        } catch var error as APIError {
            error.headers[TusController.Header.resumable] = TusController.version
            throw error
        }
    }
}
