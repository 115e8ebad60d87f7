import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import PostgresNIO
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import CloudService

/// Cloud running in process against the real test Postgres, Redis and moto S3, with its own token issuer. Its
/// settings allow moto's endpoint (`S3_TEST_ENDPOINT`), the closed `127.0.0.1:1` the tests use as a dead endpoint
/// and `allowed`, and take local accounts under `localRoots` (the temporary directory unless given).
struct CloudHarness {
    let dependencies: TestDependencies
    let core: CloudCore
    let tokens: TestTokenIssuer
    /// Where users' objects and seed chunks are charged (filesystem's ledger in the suite).
    let quota: RecordingQuota

    /// The endpoints every harness allows although they are loopback addresses.
    static var testEndpoints: [String] {
        var endpoints = ["127.0.0.1:1"]
        if let s3 = try? TestEnvironment.s3,
            let url = try? ConnectionURL(s3.endpoint, schemes: ["http", "https"], variable: "S3_TEST_ENDPOINT")
        {
            endpoints.append(EndpointPolicy.key(host: url.host, port: url.port ?? (url.scheme == "https" ? 443 : 80)))
        }
        return endpoints
    }

    init(localRoots: [String]? = nil, allowed: [String] = [], quota: RecordingQuota = RecordingQuota()) async throws {
        self.quota = quota
        dependencies = try TestDependencies()
        let deps = dependencies.dependencies
        try await Migrator(
            client: deps.postgres,
            schema: "cloud",
            migrations: CloudMigrations.all,
            logger: TestEnvironment.logger
        ).run()
        try await deps.postgres.query(
            "TRUNCATE cloud.accounts, cloud.chunk_locations, cloud.user_objects",
            logger: TestEnvironment.logger
        )
        var settings = CloudSettings()
        settings.localRoots = LocalRoots(paths: localRoots ?? [FileManager.default.temporaryDirectory.path])
        settings.endpoints = try EndpointPolicy.parse((Self.testEndpoints + allowed).joined(separator: ","))
        core = CloudService.makeCore(dependencies: deps, settings: settings, quota: quota)
        tokens = await TestTokenIssuer()
    }

    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (CloudClient) async throws -> T) async throws -> T {
        let core = self.core
        let verifier = AccessTokenVerifier(keys: tokens, revocations: SessionRevocations())
        let definition = ServiceDefinition(
            name: .cloud,
            needsMasterKey: true,
            migrations: [],
            build: { deps in
                ServiceParts(
                    controllers: CloudService.controllers(core: core),
                    authentication: deps.authentication(verifier)
                )
            }
        )
        let app = buildApplication(definition, dependencies: dependencies.dependencies, listener: .internalPort)
        do {
            let result = try await app.test(.router) { client in
                try await body(CloudClient(client: client, tokens: tokens))
            }
            await core.connections.shutdown()
            await dependencies.shutdown()
            return result
        } catch {
            await core.connections.shutdown()
            await dependencies.shutdown()
            throw error
        }
    }

    /// The request that creates an account on the test bucket (with `secret` instead of the right one if given).
    static func s3Account(name: String = "moto", secret: String? = nil, bucket: String? = nil, prefix: String? = nil)
        throws
        -> CreateAccountRequest
    {
        let s3 = try TestEnvironment.s3
        return CreateAccountRequest(
            provider: "s3",
            name: name,
            endpoint: s3.endpoint,
            region: s3.region,
            bucket: bucket ?? s3.bucket,
            prefix: prefix ?? "t-\(UUID().uuidString.prefix(8).lowercased())",
            pathStyle: true,
            accessKeyID: s3.accessKeyID,
            secretAccessKey: secret ?? s3.secret
        )
    }
}

/// A client for cloud's routes acting as some principal.
struct CloudClient: Sendable {
    let client: any TestClientProtocol
    let tokens: TestTokenIssuer

    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        json: (any Encodable & Sendable)? = nil,
        bytes: [UInt8]? = nil,
        headers extra: HTTPFields = [:],
        token: String? = nil
    ) async throws -> Reply {
        var headers = extra
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await client.reply(method, path, headers: headers, json: json, bytes: bytes)
    }
    /// Creates an account for `token`'s user and returns it.
    func createAccount(_ request: CreateAccountRequest, token: String) async throws -> AccountResponse {
        let reply = try await call(.post, "/accounts", json: request, token: token)
        try #require(reply.status == .created, "create account: \(reply.text)")
        return try reply.decode(AccountResponse.self)
    }
}

/// Every cloud suite shares the `cloud` schema, so they run one at a time.
@Suite("cloud service", .serialized, .timeLimit(.minutes(3)))
struct CloudTests {}
