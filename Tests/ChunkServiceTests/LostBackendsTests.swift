import Foundation
import StrypeCore
import Testing

@testable import ChunkService

@Suite("which backends count as gone")
struct LostBackendsTests {
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func member(online: Bool, lastSeen: Date?) -> MemberResponse {
        MemberResponse(
            id: UUID(),
            name: "m",
            ownerID: UUID(),
            capacity: 100,
            free: 100,
            objects: 0,
            bytes: 0,
            online: online,
            lastSeen: lastSeen,
            shared: false,
            version: "1"
        )
    }

    static func account(health: String) -> AccountResponse {
        AccountResponse(
            id: UUID(),
            provider: "s3",
            name: "a",
            endpoint: nil,
            region: nil,
            bucket: nil,
            prefix: nil,
            pathStyle: nil,
            path: nil,
            accessKeyID: nil,
            shared: false,
            owned: true,
            health: health,
            healthReason: nil,
            capacity: nil,
            used: 0,
            objects: 0,
            createdAt: now
        )
    }

    @Test("members: removed or offline past the grace period are gone; online or recently seen are not")
    func members() {
        let online = Self.member(online: true, lastSeen: Self.now)
        let recent = Self.member(online: false, lastSeen: Self.now.addingTimeInterval(-30))
        let longGone = Self.member(online: false, lastSeen: Self.now.addingTimeInterval(-120))
        let removed = BackendRef(kind: .array, id: UUID())
        let rules = LostBackends(
            members: [online, recent, longGone],
            accounts: [],
            unhealthySince: [:],
            now: Self.now,
            grace: 60
        )
        let ids = [online, recent, longGone].map { BackendRef(kind: .array, id: $0.id) } + [removed]
        let verdicts = rules.judge(ids)
        #expect(verdicts.map(\.backend) == [ids[2], removed])
        #expect(verdicts.map(\.reason) == ["member offline past its grace period", "member removed"])
    }

    @Test("accounts: removed or unhealthy past the grace period are gone; the clock starts when seen unhealthy")
    func accounts() {
        let healthy = Self.account(health: "healthy")
        let sickLong = Self.account(health: "unhealthy")
        let sickNew = Self.account(health: "unhealthy")
        let removed = BackendRef(kind: .cloud, id: UUID())
        let earlier = Self.now.addingTimeInterval(-600)
        let known = [sickLong.id: earlier, healthy.id: earlier]
        let tracked = LostBackends.track([healthy, sickLong, sickNew], known: known, now: Self.now)
        #expect(tracked == [sickLong.id: earlier, sickNew.id: Self.now])
        let rules = LostBackends(
            members: [],
            accounts: [healthy, sickLong, sickNew],
            unhealthySince: tracked,
            now: Self.now,
            grace: 60
        )
        let ids = [healthy, sickLong, sickNew].map { BackendRef(kind: .cloud, id: $0.id) } + [removed]
        let verdicts = rules.judge(ids)
        #expect(verdicts.map(\.backend) == [ids[1], removed])
        #expect(verdicts.map(\.reason) == ["account unhealthy past its grace period", "account removed"])
    }
}
