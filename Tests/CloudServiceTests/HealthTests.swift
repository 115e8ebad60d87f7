import Foundation
import PostgresNIO
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

extension CloudTests {
    @Suite("account health")
    struct Health {
        @Test("a provider failure marks the account unhealthy and says so on Redis; a probe that succeeds heals it")
        func failureAndRecovery() async throws {
            let redisURL = try TestEnvironment.redisURL
            let harness = try await CloudHarness()
            let core = harness.core
            let postgres = harness.dependencies.dependencies.postgres
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: UUID())
                let account = try await cloud.createAccount(try CloudHarness.s3Account(), token: token)
                var events = RedisSubscriber(url: redisURL, logger: TestEnvironment.logger)
                    .subscribe(to: [CloudCore.healthChannel]).makeAsyncIterator()
                #expect(await events.next() == .subscribed)

                // The endpoint goes away.
                let live = try await core.accounts.find(id: account.id)!.settings.endpoint!
                try await Self.setEndpoint("http://127.0.0.1:1", of: account.id, postgres)
                let failed = try await cloud.call(.get, "/accounts/\(account.id)/objects/x", token: token)
                #expect(failed.status == .badGateway)
                #expect(
                    await events.next()
                        == .message(
                            channel: CloudCore.healthChannel,
                            payload: "\(account.id.uuidString.lowercased()) unhealthy"
                        )
                )
                let shown = try await cloud.call(.get, "/accounts/\(account.id)", token: token).decode(
                    AccountResponse.self
                )
                #expect(shown.health == "unhealthy" && shown.healthReason != nil)

                // It comes back; the scheduled probe notices without any user I/O.
                try await Self.setEndpoint(live, of: account.id, postgres)
                await AccountProber(core: core, interval: .seconds(60)).probeAll()
                #expect(
                    await events.next()
                        == .message(
                            channel: CloudCore.healthChannel,
                            payload: "\(account.id.uuidString.lowercased()) healthy"
                        )
                )
                #expect(
                    try await cloud.call(.get, "/accounts/\(account.id)", token: token).decode(AccountResponse.self)
                        .health == "healthy"
                )
            }
        }

        static func setEndpoint(_ endpoint: String, of id: UUID, _ postgres: PostgresClient) async throws {
            try await postgres.query(
                "UPDATE cloud.accounts SET settings = jsonb_set(settings, '{endpoint}', to_jsonb(\(endpoint)::text)) WHERE id = \(id)",
                logger: TestEnvironment.logger
            )
        }
    }
}
