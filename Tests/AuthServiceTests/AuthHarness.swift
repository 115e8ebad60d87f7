import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PostgresNIO
import StrypeCore
import StrypeService
import StrypeTestSupport
import Testing

@testable import AuthService

/// Auth running in process against the real test Postgres and Redis, with a clean `auth` schema and captured logs.
struct AuthHarness {
    let dependencies: TestDependencies
    let core: AuthCore
    let logs: LogCapture
    let settings: AuthSettings

    static let password = "correct horse battery staple"
    /// The `ADMIN_EMAIL` and `ADMIN_SETUP_TOKEN` of `bootstrapSettings`.
    static let adminEmail = "boss@example.com"
    static let setupToken = "setup-token-of-the-tests-0123456789abcdef"
    static let bootstrapSettings = AuthSettings(adminEmail: adminEmail, adminSetupToken: setupToken)

    /// An admin made straight in the table (as `POST /users` by another admin would), signed in through the API.
    func signUpAdmin(_ email: String, via auth: AuthClient) async throws -> (user: UserResponse, tokens: TokenPair) {
        let record = try await core.users.create(
            email: email,
            name: "Admin",
            passwordHash: try await core.hasher.hash(Self.password),
            roles: [Role.user, Role.admin],
            registration: nil
        )
        return (try await core.response(for: record), try await auth.signIn(email))
    }

    /// `redis`: a Redis of the test's own (one it may stop), else the shared test Redis.
    init(settings: AuthSettings = AuthSettings(), logs: LogCapture = LogCapture(), redis: ConnectionURL? = nil)
        async throws
    {
        self.logs = logs
        self.settings = settings
        dependencies = try TestDependencies(redis: redis, logger: logs.logger)
        let deps = dependencies.dependencies
        try await Migrator(
            client: deps.postgres,
            schema: "auth",
            migrations: AuthMigrations.all,
            logger: TestEnvironment.logger
        ).run()
        try await deps.postgres.query(
            """
            TRUNCATE auth.users, auth.refresh_tokens, auth.signing_keys, auth.groups, auth.group_members,
                auth.agent_tokens, auth.invitations
            """,
            logger: TestEnvironment.logger
        )
        core = AuthService.makeCore(dependencies: deps, settings: settings, hasher: try Argon2idHasher())
    }

    /// Runs `body` against auth's routes (in process, no sockets), then closes the clients.
    @discardableResult
    func run<T: Sendable>(_ body: @escaping @Sendable (AuthClient) async throws -> T) async throws -> T {
        let core = self.core
        let definition = ServiceDefinition(
            name: .auth,
            needsMasterKey: true,
            migrations: [],
            build: { deps in AuthService.parts(core: core, dependencies: deps) }
        )
        let app = buildApplication(definition, dependencies: dependencies.dependencies, listener: .internalPort)
        do {
            let result = try await app.test(.router) { client in try await body(AuthClient(client: client)) }
            await dependencies.shutdown()
            return result
        } catch {
            await dependencies.shutdown()
            throw error
        }
    }
}

/// A JSON client for auth's routes.
struct AuthClient: Sendable {
    let client: any TestClientProtocol

    /// Sends `body` as JSON and returns status, body and headers.
    @discardableResult
    func call(
        _ method: HTTPRequest.Method,
        _ path: String,
        json body: (any Encodable & Sendable)? = nil,
        raw: String? = nil,
        token: String? = nil,
        address: String? = nil
    ) async throws -> Reply {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        if let address { headers[HTTPField.Name("X-Real-IP")!] = address }
        var buffer: ByteBuffer?
        if let body { buffer = ByteBuffer(data: try WireJSON.encode(body)) }
        if let raw { buffer = ByteBuffer(string: raw) }
        return try await client.execute(uri: path, method: method, headers: headers, body: buffer) { response in
            Reply(status: response.status, body: Data(buffer: response.body), headers: response.headers)
        }
    }

    /// Registers and signs in a user; returns the user and their tokens.
    func signUp(
        _ email: String,
        name: String = "Test User",
        password: String = AuthHarness.password,
        setupToken: String? = nil,
        invitation: String? = nil
    ) async throws -> (user: UserResponse, tokens: TokenPair) {
        let registered = try await call(
            .post,
            "/register",
            json: RegisterRequest(
                email: email,
                password: password,
                name: name,
                setupToken: setupToken,
                invitation: invitation
            )
        )
        try #require(registered.status == .created, "register: \(registered.text)")
        return (try registered.decode(UserResponse.self), try await signIn(email, password: password))
    }

    func signIn(_ email: String, password: String = AuthHarness.password) async throws -> TokenPair {
        let reply = try await call(.post, "/login", json: LoginRequest(email: email, password: password))
        try #require(reply.status == .ok, "login: \(reply.text)")
        return try reply.decode(TokenPair.self)
    }
}

/// Waits until `condition` holds (pub/sub delivery is asynchronous), for at most `timeout`.
func eventually(timeout: Duration = .seconds(3), _ condition: () async throws -> Bool) async throws -> Bool {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: .milliseconds(50))
    }
    return try await condition()
}

/// The parent of every auth suite: serialized, since they share the `auth` schema (and its "no admin yet").
@Suite("auth service", .serialized, .timeLimit(.minutes(2)))
struct AuthTests {}
