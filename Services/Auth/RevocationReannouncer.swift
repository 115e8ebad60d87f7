import Foundation
import ServiceLifecycle
import StrypeService

/// At start, re-announces sessions and agent tokens revoked within the last access-token lifetime (agent tokens:
/// the last day), so the Redis copy other services read is rebuilt from Postgres even if Redis lost it; then, every
/// second, retries the revocations whose announcement failed, until Redis takes them.
struct RevocationReannouncer: Service {
    let core: AuthCore

    func run() async throws {
        do {
            let since = Date().addingTimeInterval(-AccessClaims.lifetime - 60)
            let families = try await core.sessions.revokedFamilies(since: since)
            if !families.isEmpty {
                try await SessionRevocations.publish(families.map { $0.uuidString.lowercased() }, redis: core.redis)
            }
            // An agent's WebSocket outlives any token lifetime; a day covers an outage of Redis and auth together.
            for id in try await core.agents.revokedIDs(since: Date().addingTimeInterval(-86_400)) {
                _ = try await core.redis.publish(AuthCore.agentRevokedChannel, id.uuidString.lowercased())
            }
        } catch {
            core.logger.warning("could not re-announce revocations", metadata: ["error": "\(error)"])
        }
        // Stay up until shutdown (a service that returns early would stop the group), retrying what failed.
        await repeatUntilShutdown(every: .seconds(1), waitingFirst: true) { await retryUnannounced() }
    }

    private func retryUnannounced() async {
        let (sessions, agents) = core.unannounced.take()
        guard !sessions.isEmpty || !agents.isEmpty else { return }
        // Each announce puts back what fails again, for the next round.
        await core.announceRevoked(sessions: sessions)
        await core.announceRevoked(agents: agents)
    }
}
