import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import StrypeCodec
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import FilesystemService

/// Filesystem's controllers over the memory tree, grants and settings (`MemoryNodeRepository.swift`, `MemoryGrantsAndSettings.swift`), with its own
/// token issuer: its rules without PostgreSQL's tree or any peer. Small files stay inline, so no chunk is needed.
struct FilesystemHarness {
    let dependencies: TestDependencies
    let nodes: MemoryNodeRepository
    let userSettings: MemoryUserSettings
    let grants: MemoryGrantRepository
    let directory: MemoryGranteeDirectory
    let core: FilesystemCore
    let tokens: TestTokenIssuer

    init(defaultQuota: Int64? = nil) async throws {
        dependencies = try TestDependencies(service: .filesystem, peers: [.auth, .chunk])
        let deps = dependencies.dependencies
        var settings = FilesystemSettings()
        settings.defaultQuota = defaultQuota
        let userSettings = MemoryUserSettings()
        let nodes = MemoryNodeRepository(settings: userSettings, defaultQuota: defaultQuota)
        userSettings.tree.withLock { $0 = nodes }
        (self.userSettings, self.nodes) = (userSettings, nodes)
        grants = MemoryGrantRepository(nodes: nodes)
        directory = MemoryGranteeDirectory()
        core = FilesystemService.makeCore(
            dependencies: deps,
            settings: settings,
            nodes: nodes,
            userSettings: userSettings,
            grants: grants,
            directory: directory
        )
        tokens = await TestTokenIssuer()
    }

    /// A user the directory knows by `email`, so grants can name them.
    func user(_ email: String) -> UUID {
        let id = UUID()
        directory.users.withLock { $0[email] = id }
        return id
    }

    /// Runs `body` against the controllers, then shuts the clients down.
    func run<T: Sendable>(_ body: @escaping @Sendable (FilesystemClient) async throws -> T) async throws -> T {
        let core = self.core
        let verifier = AccessTokenVerifier(keys: tokens, revocations: SessionRevocations())
        let definition = ServiceDefinition(
            name: .filesystem,
            needsMasterKey: true,
            migrations: [],
            build: { deps in
                ServiceParts(
                    controllers: FilesystemService.controllers(
                        core: core,
                        services: deps.authentication(verifier, scopes: [Scope.service]),
                        ledger: PostgresQuotaLedger(client: deps.postgres, logger: deps.logger),
                        partSigningKey: SymmetricKey(size: .bits256)
                    ),
                    authentication: deps.authentication(verifier, scopes: [Scope.user])
                )
            }
        )
        let app = buildApplication(definition, dependencies: dependencies.dependencies, listener: .internalPort)
        do {
            let result = try await app.test(.router) { client in
                try await body(FilesystemClient(client: client, tokens: tokens))
            }
            await dependencies.shutdown()
            return result
        } catch {
            await dependencies.shutdown()
            throw error
        }
    }
}

/// A client for filesystem's routes acting as some user.
struct FilesystemClient: Sendable {
    let client: any TestClientProtocol
    let tokens: TestTokenIssuer

    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        as user: UUID,
        admin: Bool = false,
        json: (any Encodable & Sendable)? = nil,
        bytes: [UInt8]? = nil
    ) async throws -> Reply {
        let token = try await tokens.token(user: user, roles: admin ? [Role.user, Role.admin] : [Role.user])
        return try await client.reply(
            method,
            path,
            headers: [.authorization: "Bearer \(token)"],
            json: json,
            bytes: bytes
        )
    }

    /// Puts a small file at `path` and returns the node; the status must be `expected`.
    func put(_ path: String, _ text: String, as user: UUID, expected: HTTPResponse.Status = .created) async throws
        -> NodeResponse
    {
        let reply = try await call(.put, "/data?path=\(path)", as: user, bytes: Array(text.utf8))
        try #require(reply.status == expected, "PUT \(path): \(reply.status) \(reply.text)")
        return try reply.decode(NodeResponse.self)
    }
}

/// The status of the `APIError` `body` throws; nil when it throws nothing (or something else).
func status(_ body: () async throws -> some Any) async -> HTTPResponse.Status? {
    do {
        _ = try await body()
        return nil
    } catch let error as APIError {
        return error.status
    } catch {
        return nil
    }
}
