import Foundation
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

extension CloudTests {
    @Suite("provider accounts")
    struct Accounts {
        @Test("an S3 account is probed, saved with its secret sealed, and shown without it")
        func createS3Account() async throws {
            let s3 = try TestEnvironment.s3
            let harness = try await CloudHarness()
            let owner = UUID()
            let core = harness.core
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: owner)
                let reply = try await cloud.call(.post, "/accounts", json: try CloudHarness.s3Account(), token: token)
                #expect(reply.status == .created, "\(reply.text)")
                let account = try reply.decode(AccountResponse.self)
                #expect(account.provider == "s3" && account.owned && account.health == "healthy")
                #expect(account.accessKeyID == s3.accessKeyID)
                #expect(!reply.text.contains(s3.secret))
                let listed = try await cloud.call(.get, "/accounts", token: token).decode(Items<AccountResponse>.self)
                #expect(listed.items.map(\.id) == [account.id])
                #expect(!(try await cloud.call(.get, "/accounts", token: token).text.contains(s3.secret)))
                let stored = try #require(try await core.accounts.all().first)
                let sealed = try #require(stored.sealedSecret)
                #expect(!String(decoding: sealed, as: UTF8.self).contains(s3.secret))
            }
        }

        @Test("a wrong secret, a missing bucket or a dead endpoint is a 422 with a fixed message, and nothing is saved")
        func probeFailures() async throws {
            let harness = try await CloudHarness()
            let core = harness.core
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: UUID())
                let wrong = try await cloud.call(
                    .post,
                    "/accounts",
                    json: try CloudHarness.s3Account(secret: "not-the-secret"),
                    token: token
                )
                #expect(wrong.status == .unprocessableContent)
                #expect(wrong.error?.code == "account_probe_failed")
                #expect(wrong.error?.message == "the provider refused the credentials")
                // What the provider said stays in the log.
                #expect(!wrong.text.contains("SignatureDoesNotMatch"))
                let bucket = try await cloud.call(
                    .post,
                    "/accounts",
                    json: try CloudHarness.s3Account(bucket: "no-such-bucket-here"),
                    token: token
                )
                #expect(bucket.status == .unprocessableContent && bucket.error?.message == "the bucket does not exist")
                #expect(!bucket.text.contains("NoSuchBucket"))
                var dead = try CloudHarness.s3Account()
                dead.endpoint = "http://127.0.0.1:1"
                let unreachable = try await cloud.call(.post, "/accounts", json: dead, token: token)
                #expect(unreachable.status == .unprocessableContent)
                #expect(unreachable.error?.message == "the probe could not connect to the endpoint")
                #expect(try await core.accounts.all().isEmpty)
            }
        }

        @Test(
            "bad account fields are 400s naming the field",
            arguments: ["provider", "endpoint", "region", "bucket", "access_key_id", "secret_access_key", "name"]
        )
        func invalidFields(field: String) async throws {
            let harness = try await CloudHarness()
            try await harness.run { cloud in
                var request = try CloudHarness.s3Account()
                switch field {
                case "provider": request.provider = "dropbox-ish"
                case "endpoint": request.endpoint = "ftp://x"
                case "region": request.region = "us east"
                case "bucket": request.bucket = "Bad_Bucket"
                case "access_key_id": request.accessKeyID = nil
                case "secret_access_key": request.secretAccessKey = ""
                default: request.name = "   "
                }
                let reply = try await cloud.call(
                    .post,
                    "/accounts",
                    json: request,
                    token: try await cloud.tokens.token(user: UUID())
                )
                #expect(reply.status == .badRequest)
                #expect(reply.error?.field == field)
            }
        }

        @Test("users see only their own and shared accounts; only admins share; the secret stays hidden from others")
        func visibilityAndSharing() async throws {
            let harness = try await CloudHarness()
            let (alice, bob, admin) = (UUID(), UUID(), UUID())
            try await harness.run { cloud in
                let aliceToken = try await cloud.tokens.token(user: alice)
                let bobToken = try await cloud.tokens.token(user: bob)
                let adminToken = try await cloud.tokens.token(user: admin, roles: ["admin", "user"])
                let account = try await cloud.createAccount(try CloudHarness.s3Account(), token: aliceToken)
                #expect(
                    try await cloud.call(.get, "/accounts", token: bobToken).decode(Items<AccountResponse>.self).items
                        .isEmpty
                )
                #expect(try await cloud.call(.get, "/accounts/\(account.id)", token: bobToken).status == .notFound)
                #expect(try await cloud.call(.delete, "/accounts/\(account.id)", token: bobToken).status == .notFound)
                let share = UpdateAccountRequest(shared: true)
                #expect(
                    try await cloud.call(.patch, "/accounts/\(account.id)", json: share, token: aliceToken).status
                        == .forbidden
                )
                #expect(
                    try await cloud.call(.patch, "/accounts/\(account.id)", json: share, token: adminToken).status
                        == .ok
                )
                let seen = try await cloud.call(.get, "/accounts", token: bobToken).decode(Items<AccountResponse>.self)
                    .items
                let shared = try #require(seen.first)
                #expect(seen.map(\.id) == [account.id])
                #expect(shared.shared && !shared.owned && shared.accessKeyID == nil)
                #expect(try await cloud.call(.get, "/accounts").status == .unauthorized)
                let service = try await cloud.tokens.serviceToken()
                #expect(
                    try await cloud.call(.get, "/accounts", token: service).decode(Items<AccountResponse>.self).items
                        .count == 1
                )
            }
        }
    }
}
