import StrypeService

/// Who may create an account through `POST /register`.
enum RegistrationMode: String, Sendable, CaseIterable {
    /// Anyone.
    case open
    /// Only holders of an invitation an admin made.
    case invite
    /// Nobody: admins create users with `POST /users`.
    case closed
}

/// Auth's own settings, read from the environment and checked at start.
struct AuthSettings: Sendable {
    /// The address reserved for the first admin: it becomes admin only with `adminSetupToken`, while no admin exists.
    var adminEmail: String?
    /// The one-time secret that lets `adminEmail` register as the first admin; never logged.
    var adminSetupToken: Secret?
    var registration: RegistrationMode
    var loginLimits: LoginLimits
    /// Failed `POST /service-token` attempts a client address may make in one window.
    var serviceTokenLimit: AttemptLimit
    /// How long a session's refresh tokens live, counted from its sign-in (rotation does not extend it).
    var refreshTokenLifetime: Duration

    init(
        adminEmail: String? = nil,
        adminSetupToken: String? = nil,
        registration: RegistrationMode = .open,
        loginLimits: LoginLimits = LoginLimits(),
        serviceTokenLimit: AttemptLimit = AttemptLimit(),
        refreshTokenLifetime: Duration = .seconds(30 * 86_400)
    ) {
        self.adminEmail = adminEmail
        self.adminSetupToken = adminSetupToken.map(Secret.init)
        self.registration = registration
        self.loginLimits = loginLimits
        self.serviceTokenLimit = serviceTokenLimit
        self.refreshTokenLifetime = refreshTokenLifetime
    }

    /// Reads `ADMIN_EMAIL`, `ADMIN_SETUP_TOKEN`, `REGISTRATION`, `LOGIN_MAX_FAILURES_PER_EMAIL`,
    /// `LOGIN_MAX_FAILURES_PER_IP`, `LOGIN_WINDOW_SECONDS`, `SERVICE_TOKEN_MAX_FAILURES`,
    /// `SERVICE_TOKEN_WINDOW_SECONDS` and `REFRESH_TOKEN_DAYS`.
    init(environment env: EnvironmentReader) throws(ConfigError) {
        var adminEmail: String?
        if let raw = env.optional("ADMIN_EMAIL") {
            do {
                adminEmail = try InputRules.email(raw)
            } catch {
                throw ConfigError("ADMIN_EMAIL", "must be an email address")
            }
        }
        let setupToken = env.optional("ADMIN_SETUP_TOKEN")
        // Held to the rules of every shared secret (length, no placeholder); the message never shows the value.
        if let setupToken { try ExampleSecrets.refuse(setupToken, variable: "ADMIN_SETUP_TOKEN") }
        let raw = (env.optional("REGISTRATION") ?? "open").lowercased()
        guard let registration = RegistrationMode(rawValue: raw) else {
            throw ConfigError("REGISTRATION", "must be open, invite or closed")
        }
        let days = try env.integer("REFRESH_TOKEN_DAYS", default: 30, in: 1...365)
        self.init(
            adminEmail: adminEmail,
            adminSetupToken: setupToken,
            registration: registration,
            loginLimits: LoginLimits(
                perEmail: try env.integer("LOGIN_MAX_FAILURES_PER_EMAIL", default: 10, in: 1...10_000),
                perAddress: try env.integer("LOGIN_MAX_FAILURES_PER_IP", default: 100, in: 1...1_000_000),
                window: .seconds(try env.integer("LOGIN_WINDOW_SECONDS", default: 900, in: 1...86_400))
            ),
            serviceTokenLimit: AttemptLimit(
                limit: try env.integer("SERVICE_TOKEN_MAX_FAILURES", default: 10, in: 1...10_000),
                window: .seconds(try env.integer("SERVICE_TOKEN_WINDOW_SECONDS", default: 60, in: 1...86_400))
            ),
            refreshTokenLifetime: .seconds(days * 86_400)
        )
    }
}

/// How many failed logins an email or a client address may have in one window before logins are refused.
struct LoginLimits: Sendable {
    var perEmail = 10
    var perAddress = 100
    var window: Duration = .seconds(900)
}

/// How many failures one key may have in one window.
struct AttemptLimit: Sendable {
    var limit = 10
    var window: Duration = .seconds(60)
}

/// Counts failed logins in Redis, per email and per client address, in fixed windows.
struct LoginRateLimiter: Sendable {
    let redis: RedisClient
    let limits: LoginLimits

    private func keys(email: String, address: String?) -> [(key: String, limit: Int)] {
        // The email is hashed so Redis holds no addresses.
        var keys = [("auth:login-failures:email:" + OpaqueToken.base64URL(OpaqueToken.digest(email)), limits.perEmail)]
        if let address { keys.append(("auth:login-failures:ip:" + address, limits.perAddress)) }
        return keys
    }

    /// Throws 429 with `Retry-After` when the email or the address is over its limit.
    func check(email: String, address: String?) async throws {
        for (key, limit) in keys(email: email, address: address) {
            try await FailureCounter.refuseIfOver(
                key: key,
                limit: limit,
                window: limits.window,
                redis: redis,
                what: "failed sign-ins"
            )
        }
    }

    /// Counts one failure against the email and the address.
    func recordFailure(email: String, address: String?) async throws {
        for (key, _) in keys(email: email, address: address) {
            try await FailureCounter.count(key: key, window: limits.window, redis: redis)
        }
    }

    /// A successful sign-in clears the email's failures (not the address's: one success must not reset an attack).
    func recordSuccess(email: String) async throws {
        try await redis.delete(keys(email: email, address: nil)[0].key)
    }
}

/// Counts failed `POST /service-token` attempts per client address, as `LoginRateLimiter` counts sign-ins.
struct ServiceTokenRateLimiter: Sendable {
    let redis: RedisClient
    let limit: AttemptLimit

    private func key(_ address: String?) -> String { "auth:service-token-failures:ip:" + (address ?? "unknown") }

    /// Throws 429 with `Retry-After` when the address is over its limit, even for the right secret: otherwise the
    /// answer would still tell a guesser when they found it.
    func check(address: String?) async throws {
        try await FailureCounter.refuseIfOver(
            key: key(address),
            limit: limit.limit,
            window: limit.window,
            redis: redis,
            what: "failed service-token attempts"
        )
    }

    /// Counts one wrong secret against the address.
    func recordFailure(address: String?) async throws {
        try await FailureCounter.count(key: key(address), window: limit.window, redis: redis)
    }
}

/// Fixed-window failure counters in Redis: a key counts failures and expires one window after the first.
enum FailureCounter {
    /// 429 `too_many_attempts` with `Retry-After` when `key` holds `limit` or more failures.
    static func refuseIfOver(key: String, limit: Int, window: Duration, redis: RedisClient, what: String) async throws {
        guard let count = try await redis.get(key).flatMap(Int.init), count >= limit else { return }
        let wait = try await redis.timeToLive(key) ?? window
        let seconds = max(1, Int((wait.wholeMilliseconds + 999) / 1000))
        throw APIError(
            .tooManyRequests,
            code: "too_many_attempts",
            message: "too many \(what); try again in \(seconds) seconds",
            headers: [.retryAfter: String(seconds)]
        )
    }

    /// Counts one failure, starting the window at the first.
    static func count(key: String, window: Duration, redis: RedisClient) async throws {
        if try await redis.increment(key) == 1 { try await redis.expire(key, in: window) }
    }
}
