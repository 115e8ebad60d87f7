import Foundation
import Hummingbird
import StrypeCore
import StrypeService

/// The raw-bytes ledger's route, for chunk, cloud and array on the internal listener: what users store outside
/// files is charged here, against the same quota as their files.
struct UsageLedgerController: RouteController {
    let ledger: PostgresQuotaLedger
    /// Admits service tokens only (filesystem's other routes admit user sessions only).
    let serviceTokens: AuthenticationMiddleware
    /// The quota of users without one of their own (nil: none).
    let defaultQuota: Int64?

    /// The largest change one call makes (8 EiB would overflow the sums): far beyond any one store.
    static let largestDelta: UInt64 = 1 << 50

    func addRoutes(to routes: ServiceRoutes) {
        routes.router.group("/internal/usage").add(middleware: InternalOnlyMiddleware())
            .add(middleware: serviceTokens)
            .add(middleware: RoleMiddleware(Role.service)).post("/{user}", use: charge)
    }

    /// `POST /internal/usage/{user} {bytes}` → 200 `{bytes, quota}` (the usage after); a positive `bytes` that does
    /// not fit the user's quota is a 413 `quota_exceeded` and changes nothing; a negative one refunds (never below 0).
    @Sendable func charge(_ request: Request, context: StrypeRequestContext) async throws -> UsageChargeResponse {
        let user = try context.uuidParameter("user", resource: "user")
        let body = try await request.decode(as: UsageChargeRequest.self, context: context)
        guard body.bytes.magnitude <= Self.largestDelta else {
            throw APIError.invalidField("bytes", "at most \(Self.largestDelta) either way")
        }
        return try await ledger.charge(owner: user, bytes: body.bytes, defaultQuota: defaultQuota)
    }
}

extension UsageChargeResponse: ResponseEncodable {}
