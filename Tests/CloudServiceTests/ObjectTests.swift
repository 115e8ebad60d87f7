import Crypto
import Foundation
import HTTPTypes
import NIOCore
import StrypeCodec
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

extension CloudTests {
    @Suite("object I/O against moto S3 and a local directory")
    struct Objects {
        static func sha256(_ bytes: [UInt8]) -> String {
            Checksum.hex(SHA256.hash(data: bytes))
        }

        static func random(_ count: Int) -> [UInt8] {
            var generator = SystemRandomNumberGenerator()
            return (0..<count).map { _ in generator.next() }
        }

        /// An account of each provider for the same user.
        static func accounts(_ cloud: CloudClient, user: UUID) async throws -> [AccountResponse] {
            let admin = try await cloud.tokens.token(user: user, roles: ["admin", "user"])
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cloud-local-\(UUID())").path
            return [
                try await cloud.createAccount(try CloudHarness.s3Account(), token: admin),
                try await cloud.createAccount(
                    CreateAccountRequest(provider: "local", name: "disk", path: directory),
                    token: admin
                ),
            ]
        }

        @Test("0 B, 1 B and 1 MiB + 1 objects round-trip with their SHA-256; range, HEAD and DELETE behave")
        func roundTrips() async throws {
            let harness = try await CloudHarness()
            let user = UUID()
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: user, roles: ["admin", "user"])
                for account in try await Self.accounts(cloud, user: user) {
                    for size in [0, 1, (1 << 20) + 1] {
                        let bytes = Self.random(size)
                        let path = "/accounts/\(account.id)/objects/chunks/ab/\(size).bin"
                        let put = try await cloud.call(
                            .put,
                            path,
                            bytes: bytes,
                            headers: [ObjectsController<AccountObjects>.sha256Header: Self.sha256(bytes)],
                            token: token
                        )
                        #expect(put.status == .created, "\(account.provider) \(size): \(put.text)")
                        #expect(
                            try put.decode(ObjectResponse.self)
                                == ObjectResponse(
                                    key: "chunks/ab/\(size).bin",
                                    size: Int64(size),
                                    sha256: Self.sha256(bytes)
                                )
                        )
                        let got = try await cloud.call(.get, path, token: token)
                        #expect(
                            got.status == .ok && Self.sha256(Array(got.body)) == Self.sha256(bytes),
                            "\(account.provider) \(size)"
                        )
                        let head = try await cloud.call(.head, path, token: token)
                        #expect(head.status == .ok && head.headers[.contentLength] == String(size))
                        if size > 10 {
                            let range = try await cloud.call(.get, path, headers: [.range: "bytes=5-9"], token: token)
                            #expect(range.status == .partialContent && Array(range.body) == Array(bytes[5...9]))
                            #expect(range.headers[.contentRange] == "bytes 5-9/\(size)")
                            let suffix = try await cloud.call(.get, path, headers: [.range: "bytes=-3"], token: token)
                            #expect(Array(suffix.body) == Array(bytes.suffix(3)))
                            let outside = try await cloud.call(
                                .get,
                                path,
                                headers: [.range: "bytes=\(size)-"],
                                token: token
                            )
                            #expect(outside.status == .rangeNotSatisfiable)
                        }
                        #expect(try await cloud.call(.delete, path, token: token).status == .noContent)
                        #expect(try await cloud.call(.get, path, token: token).status == .notFound)
                        #expect(try await cloud.call(.delete, path, token: token).status == .noContent)
                    }
                }
            }
        }

        @Test("a body that does not match its SHA-256 or its length is refused and not stored")
        func badBodies() async throws {
            let harness = try await CloudHarness()
            let user = UUID()
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: user, roles: ["admin", "user"])
                for account in try await Self.accounts(cloud, user: user) {
                    let path = "/accounts/\(account.id)/objects/bad/one"
                    let bytes = Self.random(1000)
                    let wrongHash = try await cloud.call(
                        .put,
                        path,
                        bytes: bytes,
                        headers: [ObjectsController<AccountObjects>.sha256Header: Self.sha256(Self.random(10))],
                        token: token
                    )
                    #expect(
                        wrongHash.status.code >= 400 && wrongHash.status.code < 500 || wrongHash.status == .badGateway,
                        "\(account.provider): \(wrongHash.status)"
                    )
                    #expect(try await cloud.call(.head, path, token: token).status == .notFound, "\(account.provider)")
                    let notHex = try await cloud.call(
                        .put,
                        path,
                        bytes: bytes,
                        headers: [ObjectsController<AccountObjects>.sha256Header: "xyz"],
                        token: token
                    )
                    #expect(notHex.status == .badRequest)
                }
            }
        }

        @Test(
            "keys that could escape the directory or are malformed are refused",
            arguments: ["../x", "a/../../b", "a/./b", "sp ace", "%2e%2e"]
        )
        func badKeys(key: String) async throws {
            let harness = try await CloudHarness()
            let user = UUID()
            try await harness.run { cloud in
                let token = try await cloud.tokens.token(user: user, roles: ["admin", "user"])
                let account = try await Self.accounts(cloud, user: user)[1]
                let reply = try await cloud.call(
                    .put,
                    "/accounts/\(account.id)/objects/\(key)",
                    bytes: [1, 2, 3],
                    token: token
                )
                #expect(reply.status == .badRequest || reply.status == .notFound, "\(key): \(reply.status)")
            }
            #expect(throws: ObjectStoreError.self) { try ObjectKey.validate("../etc/passwd") }
            #expect(throws: ObjectStoreError.self) { try ObjectKey.validate("a/../../b") }
            #expect(throws: ObjectStoreError.self) { try ObjectKey.validate("a//b") }
            #expect(throws: ObjectStoreError.self) { try ObjectKey.validate("/abs") }
        }

        @Test("two users cannot touch each other's accounts or objects; a shared account gives each a namespace")
        func isolation() async throws {
            let harness = try await CloudHarness()
            let (alice, bob) = (UUID(), UUID())
            try await harness.run { cloud in
                let aliceToken = try await cloud.tokens.token(user: alice, roles: ["admin", "user"])
                let bobToken = try await cloud.tokens.token(user: bob)
                let account = try await cloud.createAccount(try CloudHarness.s3Account(), token: aliceToken)
                let path = "/accounts/\(account.id)/objects/secret.bin"
                #expect(try await cloud.call(.put, path, bytes: [1, 2, 3], token: aliceToken).status == .created)
                #expect(try await cloud.call(.get, path, token: bobToken).status == .notFound)
                #expect(try await cloud.call(.put, path, bytes: [9], token: bobToken).status == .notFound)
                #expect(try await cloud.call(.delete, path, token: bobToken).status == .notFound)
                #expect(Array(try await cloud.call(.get, path, token: aliceToken).body) == [1, 2, 3])

                _ = try await cloud.call(
                    .patch,
                    "/accounts/\(account.id)",
                    json: UpdateAccountRequest(shared: true),
                    token: aliceToken
                )
                // Bob may now store on it, but his keys live apart: he neither sees nor overwrites Alice's object.
                #expect(try await cloud.call(.get, path, token: bobToken).status == .notFound)
                #expect(try await cloud.call(.put, path, bytes: [9], token: bobToken).status == .created)
                #expect(Array(try await cloud.call(.get, path, token: aliceToken).body) == [1, 2, 3])
                #expect(Array(try await cloud.call(.get, path, token: bobToken).body) == [9])
            }
        }

        @Test("the S3 store refuses a body shorter or longer than its length, and leaves no object")
        func s3LengthMismatch() async throws {
            let s3 = try TestEnvironment.s3
            let harness = try await CloudHarness()
            let core = harness.core
            // Run inside the harness, which shuts its clients down whatever the outcome.
            try await harness.run { _ in
                let store = try core.s3Store(
                    settings: AccountSettings(
                        endpoint: s3.endpoint,
                        region: s3.region,
                        bucket: s3.bucket,
                        prefix: "len/",
                        pathStyle: true
                    ),
                    accessKeyID: s3.accessKeyID,
                    secret: s3.secret
                )
                let body = ByteBuffer(bytes: Self.random(1000))
                await #expect(throws: (any Error).self) {
                    _ = try await store.put(key: "short", length: 2000, sha256: nil, body: BufferSequence([body]))
                }
                await #expect(throws: ObjectStoreError.self) {
                    _ = try await store.put(key: "long", length: 500, sha256: nil, body: BufferSequence([body]))
                }
                #expect(try await store.head(key: "short") == nil)
                #expect(try await store.head(key: "long") == nil)
                let stored = try await store.put(key: "exact", length: 1000, sha256: nil, body: BufferSequence([body]))
                #expect(stored.size == 1000)
                try await store.delete(key: "exact")
            }
        }

        @Test("only admins add local-directory accounts")
        func localIsAdminOnly() async throws {
            let harness = try await CloudHarness()
            try await harness.run { cloud in
                let reply = try await cloud.call(
                    .post,
                    "/accounts",
                    json: CreateAccountRequest(provider: "local", name: "disk", path: "/tmp/nope-\(UUID())"),
                    token: try await cloud.tokens.token(user: UUID())
                )
                #expect(reply.status == .forbidden)
            }
        }
    }
}
