import Foundation
import NIOConcurrencyHelpers
import StrypeService

/// Session and agent-token revocations that auth recorded in Postgres but could not publish on Redis (it failed
/// between the check before revoking and the publish), kept in memory until `RevocationReannouncer` gets them out.
final class UnannouncedRevocations: Sendable {
    private struct Pending {
        /// Session id → when its last access token expires (after that it no longer matters).
        var sessions: [UUID: Date] = [:]
        var agents: Set<UUID> = []
    }

    private let pending = NIOLockedValueBox(Pending())

    init() {}

    func add(sessions families: [UUID]) {
        let until = Date().addingTimeInterval(AccessClaims.lifetime + 60)
        pending.withLockedValue { state in
            for family in families { state.sessions[family] = until }
        }
    }

    func add(agents ids: [UUID]) {
        pending.withLockedValue { state in state.agents.formUnion(ids) }
    }

    /// Everything pending, removed; sessions whose tokens have all expired are dropped.
    func take() -> (sessions: [UUID], agents: [UUID]) {
        let now = Date()
        return pending.withLockedValue { state -> (sessions: [UUID], agents: [UUID]) in
            let taken = (sessions: state.sessions.filter { $0.value > now }.map(\.key), agents: Array(state.agents))
            state = Pending()
            return taken
        }
    }
}
