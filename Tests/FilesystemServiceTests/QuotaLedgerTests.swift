import Foundation
import PostgresNIO
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import FilesystemService

/// The raw-bytes ledger behind `POST /internal/usage/{user}`, against the test PostgreSQL.
@Suite("filesystem's raw-bytes ledger", .timeLimit(.minutes(1)))
struct QuotaLedgerTests {
    static func withLedger(_ body: @escaping @Sendable (PostgresQuotaLedger, PostgresClient) async throws -> Void)
        async throws
    {
        try await TestEnvironment.withPostgres { client in
            try await Migrator(
                client: client,
                schema: "fs",
                migrations: FilesystemMigrations.all,
                logger: TestEnvironment.logger
            ).run()
            try await body(PostgresQuotaLedger(client: client, logger: TestEnvironment.logger), client)
        }
    }

    static func isQuotaExceeded(_ error: any Error) -> Bool {
        (error as? APIError)?.code == "quota_exceeded" && (error as? APIError)?.status == .contentTooLarge
    }

    @Test("charges fit the default quota or the user's own, a refused one changes nothing, refunds stop at 0")
    func charges() async throws {
        try await Self.withLedger { ledger, client in
            let user = UUID()
            let first = try await ledger.charge(owner: user, bytes: 600, defaultQuota: 1000)
            #expect(first == UsageChargeResponse(bytes: 600, quota: 1000))
            await #expect(throws: APIError.self) {
                try await ledger.charge(owner: user, bytes: 401, defaultQuota: 1000)
            }
            #expect(try await ledger.charge(owner: user, bytes: 400, defaultQuota: 1000).bytes == 1000)
            // A refund always passes, also over the quota, and never leaves less than nothing.
            #expect(try await ledger.charge(owner: user, bytes: -5000, defaultQuota: 1000).bytes == 0)
            // The user's own quota wins over the default; without any quota everything fits.
            try await client.query(
                "UPDATE fs.settings SET quota_bytes = 100 WHERE user_id = \(user)",
                logger: TestEnvironment.logger
            )
            #expect(try await ledger.charge(owner: user, bytes: 100, defaultQuota: 1000).quota == 100)
            await #expect(throws: APIError.self) { try await ledger.charge(owner: user, bytes: 1, defaultQuota: nil) }
            let free = UUID()
            #expect(try await ledger.charge(owner: free, bytes: 1 << 40, defaultQuota: nil).quota == nil)
            // What GET /usage reports counts the raw bytes.
            let usage = try await PostgresUserSettingsRepository(client: client, logger: TestEnvironment.logger)
                .usage(owner: free)
            #expect(usage.bytes == 1 << 40)
        }
    }

    @Test("concurrent charges cannot together pass the quota")
    func concurrent() async throws {
        try await Self.withLedger { ledger, _ in
            let user = UUID()
            let accepted = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<10 {
                    group.addTask { (try? await ledger.charge(owner: user, bytes: 200, defaultQuota: 1000)) != nil }
                }
                var count = 0
                for await fitted in group where fitted { count += 1 }
                return count
            }
            #expect(accepted == 5)
            let after = try await ledger.charge(owner: user, bytes: 0, defaultQuota: 1000)
            #expect(after.bytes == 1000)
        }
    }

    @Test("the 413 says how many bytes are left")
    func message() async throws {
        try await Self.withLedger { ledger, _ in
            let user = UUID()
            _ = try await ledger.charge(owner: user, bytes: 700, defaultQuota: 1000)
            do {
                _ = try await ledger.charge(owner: user, bytes: 301, defaultQuota: 1000)
                Issue.record("a charge past the quota was accepted")
            } catch {
                #expect(Self.isQuotaExceeded(error))
                #expect((error as? APIError)?.message == "this does not fit your quota: 300 bytes are left")
            }
        }
    }
}
