import Foundation
import StrypeService
import Synchronization

/// A `StorageQuota` for tests: keeps every charge, and refuses a positive one that would take a user past `limit`
/// (nil: no limit) with the same 413 filesystem answers.
package final class RecordingQuota: StorageQuota {
    private let state = Mutex<(charges: [(owner: UUID, bytes: Int64)], used: [UUID: Int64])>(([], [:]))
    private let limit: Int64?

    package init(limit: Int64? = nil) {
        self.limit = limit
    }

    package func charge(owner: UUID, bytes: Int64) async throws {
        let refused: Int64? = state.withLock { state in
            let used = state.used[owner, default: 0]
            if bytes > 0, let limit, used + bytes > limit { return limit - used }
            state.charges.append((owner, bytes))
            state.used[owner] = max(0, used + bytes)
            return nil
        }
        if let refused {
            throw APIError(
                .contentTooLarge,
                code: "quota_exceeded",
                message: "this does not fit your quota: \(max(0, refused)) bytes are left"
            )
        }
    }

    /// Every charge accepted, in order (refunds are negative).
    package var charges: [(owner: UUID, bytes: Int64)] { state.withLock { $0.charges } }

    /// What `owner` is charged with now.
    package func used(_ owner: UUID) -> Int64 { state.withLock { $0.used[owner, default: 0] } }
}

/// A `StorageQuota` that takes everything, for tests that are not about quotas.
package struct UnlimitedQuota: StorageQuota {
    package init() {}

    package func charge(owner: UUID, bytes: Int64) async throws {}
}
