import Foundation
import ServiceLifecycle
import StrypeService

/// At start, re-announces sessions revoked within the last access-token lifetime, so the Redis copy other services
/// read is rebuilt from Postgres even if Redis lost it.
struct RevocationReannouncer: Service {
    let core: AuthCore

    func run() async throws {
        do {
            let since = Date().addingTimeInterval(-AccessClaims.lifetime - 60)
            let families = try await core.sessions.revokedFamilies(since: since)
            if !families.isEmpty {
                try await SessionRevocations.publish(families.map { $0.uuidString.lowercased() }, redis: core.redis)
            }
        } catch {
            core.logger.warning("could not re-announce revoked sessions", metadata: ["error": "\(error)"])
        }
        // Stay up until shutdown: a service that returns early would stop the group.
        try? await gracefulShutdown()
    }
}
