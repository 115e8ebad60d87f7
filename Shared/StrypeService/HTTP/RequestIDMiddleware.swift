import HTTPTypes
import Hummingbird
import StrypeCore

/// Takes the request's `X-Request-Id` (or makes one), puts it in the context, the logger metadata and the task-local
/// used by outgoing calls, and echoes it on the response.
package struct RequestIDMiddleware: RouterMiddleware {
    package typealias Context = StrypeRequestContext

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        let id = RequestID.sanitized(request.headers[HTTPField.Name.requestID]) ?? RequestID.generate()
        var context = context
        context.requestID = id
        context.logger[metadataKey: "request_id"] = .string(id)
        var response = try await CurrentRequest.$id.withValue(id) {
            try await next(request, context)
        }
        response.headers[HTTPField.Name.requestID] = id
        return response
    }
}

/// The request id of the request being handled, read by `ServiceClient` to pass it on.
package enum CurrentRequest {
    @TaskLocal package static var id: String?
}

extension HTTPField.Name {
    /// `X-Request-Id`.
    package static let requestID = HTTPField.Name(RequestID.headerName)!
}
