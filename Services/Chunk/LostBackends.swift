import Foundation
import StrypeCore

/// Which backends holding shards count as gone, and why: a member removed or offline past the grace period, an
/// account removed or unhealthy past the grace period. Kept free of I/O so the rules are tested on their own.
struct LostBackends {
    var members: [MemberResponse]
    var accounts: [AccountResponse]
    /// When each account was first seen unhealthy (kept in Redis between scans).
    var unhealthySince: [UUID: Date]
    var now: Date
    var grace: TimeInterval

    /// The backends among `holding` whose shards are to be marked lost, each with the reason.
    func judge(_ holding: [BackendRef]) -> [(backend: BackendRef, reason: String)] {
        let membersByID = Dictionary(members.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let accountsByID = Dictionary(accounts.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let cutoff = now.addingTimeInterval(-grace)
        var verdicts: [(BackendRef, String)] = []
        for backend in holding {
            switch backend.kind {
            case .array:
                guard let member = membersByID[backend.id] else {
                    verdicts.append((backend, "member removed"))
                    continue
                }
                if !member.online, (member.lastSeen ?? .distantPast) < cutoff {
                    verdicts.append((backend, "member offline past its grace period"))
                }
            case .cloud:
                guard let account = accountsByID[backend.id] else {
                    verdicts.append((backend, "account removed"))
                    continue
                }
                if account.health != "healthy", let since = unhealthySince[backend.id], since < cutoff {
                    verdicts.append((backend, "account unhealthy past its grace period"))
                }
            }
        }
        return verdicts.map { (backend: $0.0, reason: $0.1) }
    }

    /// The next record of unhealthy accounts: a newly unhealthy one starts its clock now; a healthy or removed one
    /// leaves it.
    static func track(_ accounts: [AccountResponse], known: [UUID: Date], now: Date) -> [UUID: Date] {
        var next: [UUID: Date] = [:]
        for account in accounts where account.health != "healthy" {
            next[account.id] = known[account.id] ?? now
        }
        return next
    }
}
