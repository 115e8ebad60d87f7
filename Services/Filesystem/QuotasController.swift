import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// `/quotas`: admins set a user's quota.
struct QuotasController: RouteController {
    let core: FilesystemCore

    func addRoutes(to routes: ServiceRoutes) {
        routes.authenticated("/quotas").put("/{user}", use: setQuota)
    }

    /// `PUT /quotas/{user} {bytes}` (admins) → 204; `bytes` null removes the user's own quota.
    @Sendable func setQuota(_ request: Request, context: StrypeRequestContext) async throws -> HTTPResponse.Status {
        guard try context.requirePrincipal().isAdmin else { throw APIError.forbidden("only admins set quotas") }
        let user = try context.uuidParameter("user", resource: "user")
        let body = try await request.decode(as: QuotaRequest.self, context: context)
        if let bytes = body.bytes, bytes < 0 { throw APIError.invalidField("bytes", "a quota is not negative") }
        guard try await core.directory.userExists(user, authorization: request.headers[.authorization] ?? "") else {
            throw APIError.notFound("no such user")
        }
        try await core.userSettings.saveQuota(owner: user, bytes: body.bytes)
        return .noContent
    }
}

/// `PUT /quotas/{user}`.
struct QuotaRequest: Codable, Sendable {
    var bytes: Int64?
}
