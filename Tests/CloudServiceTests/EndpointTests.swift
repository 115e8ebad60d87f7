import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

/// The requests a fake S3 server on loopback received, by path.
actor Hits {
    private(set) var paths: [String] = []

    func add(_ path: String) { paths.append(path) }
}

extension CloudTests {
    @Suite("endpoint policy and local roots in the routes")
    struct Endpoints {
        /// A fake S3 on 127.0.0.1 that records every request: bucket `deny-me` answers 403, `redirect-me` a 307 to
        /// `/elsewhere/…`, anything else 500; each error body carries text that must never reach a client.
        static func fakeS3(_ dependencies: TestDependencies, hits: Hits) -> StrypeApplication {
            buildApplication(testDefinition, dependencies: dependencies.dependencies, listener: .publicPort) { router in
                let answer: @Sendable (Request, StrypeRequestContext) async throws -> Response = { request, _ in
                    let path = request.uri.path
                    await hits.add(path)
                    let bucket = path.split(separator: "/").first.map(String.init) ?? ""
                    let text = "<Error><Code>InternalBanner</Code><Message>fake-s3-banner</Message></Error>"
                    switch bucket {
                    case "deny-me":
                        return Response(status: .forbidden, body: .init(byteBuffer: ByteBuffer(string: text)))
                    case "redirect-me":
                        return Response(
                            status: .temporaryRedirect,
                            headers: [.location: "/elsewhere/x"],
                            body: .init(byteBuffer: ByteBuffer(string: text))
                        )
                    case "elsewhere":
                        return Response(status: .ok)
                    default:
                        return Response(status: .internalServerError, body: .init(byteBuffer: ByteBuffer(string: text)))
                    }
                }
                router.put("/**", use: answer)
                router.get("/**", use: answer)
                router.head("/**", use: answer)
                router.delete("/**", use: answer)
            }
        }

        static func account(_ endpoint: String, bucket: String = "some-bucket") -> CreateAccountRequest {
            CreateAccountRequest(
                provider: "s3",
                name: "fake",
                endpoint: endpoint,
                region: "us-east-1",
                bucket: bucket,
                prefix: "p",
                pathStyle: true,
                accessKeyID: "AKIDEXAMPLE",
                secretAccessKey: "fake-secret-0123456789"
            )
        }

        @Test("endpoints on loopback, private, link-local and other non-public addresses are 400s; nothing connects")
        func refused() async throws {
            let hits = Hits()
            let fakeDependencies = try TestDependencies()
            try await Self.fakeS3(fakeDependencies, hits: hits).test(.live) { fake in
                let port = try #require(fake.port)
                let harness = try await CloudHarness()
                let core = harness.core
                try await harness.run { cloud in
                    let token = try await cloud.tokens.token(user: UUID())
                    // Every spelling of the fake's own loopback address: refused before any connection.
                    let loopback = [
                        "127.0.0.1", "localhost", "127.1", "0x7f.1", "2130706433", "0177.0.0.1", "0x7f000001",
                        "[::ffff:127.0.0.1]", "0.0.0.0", "[::]", "[::1]",
                    ]
                    for host in loopback {
                        let reply = try await cloud.call(
                            .post,
                            "/accounts",
                            json: Self.account("http://\(host):\(port)"),
                            token: token
                        )
                        try #require(reply.status == .badRequest, "\(host): \(reply.text)")
                        #expect(reply.error?.code == "endpoint_not_allowed" && reply.error?.field == "endpoint")
                    }
                    try #require(await hits.paths.isEmpty)
                    // Private and link-local addresses: only sent once loopback proved refused without a connection.
                    let others = [
                        "10.0.0.1", "172.16.0.1", "192.168.0.1", "169.254.169.254", "100.64.0.1", "224.0.0.1",
                        "[fe80::1]", "[fc00::1]", "[::ffff:10.0.0.1]", "[::ffff:169.254.169.254]",
                    ]
                    for host in others {
                        let reply = try await cloud.call(
                            .post,
                            "/accounts",
                            json: Self.account("http://\(host):9000"),
                            token: token
                        )
                        #expect(reply.status == .badRequest && reply.error?.code == "endpoint_not_allowed", "\(host)")
                    }
                    #expect(try await core.accounts.all().isEmpty)
                }
            }
            await fakeDependencies.shutdown()
            #expect(await hits.paths.isEmpty)
        }

        @Test("probe failures are fixed messages per cause, never the endpoint's words; redirects are not followed")
        func probeAnswers() async throws {
            let hits = Hits()
            let fakeDependencies = try TestDependencies()
            try await Self.fakeS3(fakeDependencies, hits: hits).test(.live) { fake in
                let port = try #require(fake.port)
                let harness = try await CloudHarness(allowed: ["127.0.0.1:\(port)"])
                try await harness.run { cloud in
                    let token = try await cloud.tokens.token(user: UUID())
                    let endpoint = "http://127.0.0.1:\(port)"
                    let denied = try await cloud.call(
                        .post,
                        "/accounts",
                        json: Self.account(endpoint, bucket: "deny-me"),
                        token: token
                    )
                    #expect(denied.status == .unprocessableContent)
                    #expect(denied.error?.message == "the provider refused the credentials")
                    let redirected = try await cloud.call(
                        .post,
                        "/accounts",
                        json: Self.account(endpoint, bucket: "redirect-me"),
                        token: token
                    )
                    #expect(redirected.status == .unprocessableContent)
                    #expect(redirected.error?.message == "the endpoint did not answer as an S3 bucket does")
                    let failing = try await cloud.call(.post, "/accounts", json: Self.account(endpoint), token: token)
                    #expect(failing.status == .unprocessableContent)
                    for reply in [denied, redirected, failing] {
                        #expect(!reply.text.contains("fake-s3-banner") && !reply.text.contains("InternalBanner"))
                    }
                    // The same address by another name is not what the operator allowed.
                    let renamed = try await cloud.call(
                        .post,
                        "/accounts",
                        json: Self.account("http://localhost:\(port)", bucket: "deny-me"),
                        token: token
                    )
                    #expect(renamed.status == .badRequest && renamed.error?.code == "endpoint_not_allowed")
                }
            }
            await fakeDependencies.shutdown()
            let paths = await hits.paths
            #expect(paths.contains { $0.hasPrefix("/deny-me/") } && paths.contains { $0.hasPrefix("/redirect-me/") })
            #expect(!paths.contains { $0.hasPrefix("/elsewhere") }, "a redirect was followed: \(paths)")
        }

        @Test("an endpoint that later points at a refused address is refused at every use, without a connection")
        func refusedLater() async throws {
            let hits = Hits()
            let fakeDependencies = try TestDependencies()
            try await Self.fakeS3(fakeDependencies, hits: hits).test(.live) { fake in
                let port = try #require(fake.port)
                let harness = try await CloudHarness()
                let postgres = harness.dependencies.dependencies.postgres
                try await harness.run { cloud in
                    let token = try await cloud.tokens.token(user: UUID())
                    let account = try await cloud.createAccount(try CloudHarness.s3Account(), token: token)
                    try await CloudTests.Health.setEndpoint("http://localhost:\(port)", of: account.id, postgres)
                    let path = "/accounts/\(account.id)/objects/x"
                    let read = try await cloud.call(.get, path, token: token)
                    #expect(read.status == .badGateway && read.error?.code == "endpoint_not_allowed")
                    let write = try await cloud.call(.put, path, bytes: [1, 2, 3], token: token)
                    #expect(write.status == .badGateway && write.error?.code == "endpoint_not_allowed")
                    let shown = try await cloud.call(.get, "/accounts/\(account.id)", token: token)
                    #expect(try shown.decode(AccountResponse.self).health == "unhealthy")
                }
            }
            await fakeDependencies.shutdown()
            #expect(await hits.paths.isEmpty)
        }

        @Test("local accounts live only inside the roots, links resolved; a link swapped in later is refused")
        func localRoots() async throws {
            let base = FileManager.default.temporaryDirectory.appendingPathComponent("cloud-roots-\(UUID())")
            let (root, outside) = (base.appendingPathComponent("root"), base.appendingPathComponent("outside"))
            try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
            try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: base) }
            let linkOut = root.appendingPathComponent("link-out").path
            try FileManager.default.createSymbolicLink(atPath: linkOut, withDestinationPath: outside.path)
            let harness = try await CloudHarness(localRoots: [root.path])
            try await harness.run { cloud in
                let admin = try await cloud.tokens.token(user: UUID(), roles: ["admin", "user"])
                func create(_ path: String) async throws -> Reply {
                    try await cloud.call(
                        .post,
                        "/accounts",
                        json: CreateAccountRequest(provider: "local", name: "disk", path: path),
                        token: admin
                    )
                }
                for path in ["/etc", "/root/.ssh", root.path + "2", linkOut, linkOut + "/sub", outside.path] {
                    let reply = try await create(path)
                    #expect(reply.status == .badRequest && reply.error?.code == "local_path_not_allowed", "\(path)")
                    #expect(reply.error?.message == "path: must lie inside one of the server's LOCAL_STORAGE_ROOTS")
                }
                for path in ["relative/dir", root.path + "/../outside", root.path + "/./x", "/tmp/a\u{0}b"] {
                    let reply = try await create(path)
                    #expect(reply.status == .badRequest && reply.error?.field == "path", "\(path)")
                }
                #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)

                let swapped = root.appendingPathComponent("swap").path
                let created = try await create(swapped)
                try #require(created.status == .created, "\(created.text)")
                let account = try created.decode(AccountResponse.self)
                let path = "/accounts/\(account.id)/objects/a"
                #expect(try await cloud.call(.put, path, bytes: [1], token: admin).status == .created)
                // The account's directory becomes a link out of the root: nothing reaches the other side.
                try FileManager.default.removeItem(atPath: swapped)
                try FileManager.default.createSymbolicLink(atPath: swapped, withDestinationPath: outside.path)
                let write = try await cloud.call(.put, path, bytes: [2], token: admin)
                #expect(write.status == .badGateway && write.error?.code == "local_path_not_allowed")
                #expect(try await cloud.call(.get, path, token: admin).status == .badGateway)
                #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
            }
        }

        @Test("without LOCAL_STORAGE_ROOTS local accounts are refused")
        func localDisabled() async throws {
            let harness = try await CloudHarness(localRoots: [])
            try await harness.run { cloud in
                let reply = try await cloud.call(
                    .post,
                    "/accounts",
                    json: CreateAccountRequest(provider: "local", name: "disk", path: "/tmp/cloud-\(UUID())"),
                    token: try await cloud.tokens.token(user: UUID(), roles: ["admin", "user"])
                )
                #expect(reply.status == .badRequest && reply.error?.code == "local_storage_disabled")
            }
        }
    }
}
