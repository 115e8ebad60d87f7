import StrypeService

/// Auth's own settings, read from the environment and checked at start.
struct AuthSettings: Sendable {
    /// This email becomes admin when it registers (besides the first user).
    var adminEmail: String?
    /// Whether anyone may register; when closed, only admins create users.
    var registrationOpen: Bool
    var loginLimits: LoginLimits
    var refreshTokenLifetime: Duration

    init(
        adminEmail: String? = nil,
        registrationOpen: Bool = true,
        loginLimits: LoginLimits = LoginLimits(),
        refreshTokenDays: Int = 30
    ) {
        self.adminEmail = adminEmail
        self.registrationOpen = registrationOpen
        self.loginLimits = loginLimits
        self.refreshTokenLifetime = .seconds(refreshTokenDays * 86_400)
    }

    /// Reads `ADMIN_EMAIL`, `REGISTRATION`, `LOGIN_MAX_FAILURES_PER_EMAIL`, `LOGIN_MAX_FAILURES_PER_IP`,
    /// `LOGIN_WINDOW_SECONDS` and `REFRESH_TOKEN_DAYS`.
    init(environment env: EnvironmentReader) throws(ConfigError) {
        var adminEmail: String?
        if let raw = env.optional("ADMIN_EMAIL") {
            do {
                adminEmail = try InputRules.email(raw)
            } catch {
                throw ConfigError("ADMIN_EMAIL", "must be an email address")
            }
        }
        let registration = (env.optional("REGISTRATION") ?? "open").lowercased()
        guard registration == "open" || registration == "closed" else {
            throw ConfigError("REGISTRATION", "must be open or closed")
        }
        self.init(
            adminEmail: adminEmail,
            registrationOpen: registration == "open",
            loginLimits: LoginLimits(
                perEmail: try env.integer("LOGIN_MAX_FAILURES_PER_EMAIL", default: 10, in: 1...10_000),
                perAddress: try env.integer("LOGIN_MAX_FAILURES_PER_IP", default: 100, in: 1...1_000_000),
                window: .seconds(try env.integer("LOGIN_WINDOW_SECONDS", default: 900, in: 1...86_400))
            ),
            refreshTokenDays: try env.integer("REFRESH_TOKEN_DAYS", default: 30, in: 1...365)
        )
    }
}

/// How many failed logins an email or a client address may have in one window before logins are refused.
struct LoginLimits: Sendable {
    var perEmail = 10
    var perAddress = 100
    var window: Duration = .seconds(900)
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
            guard let count = try await redis.get(key).flatMap(Int.init), count >= limit else { continue }
            let wait = try await redis.timeToLive(key) ?? limits.window
            let seconds = max(1, Int((wait.wholeMilliseconds + 999) / 1000))
            throw APIError(
                .tooManyRequests,
                code: "too_many_attempts",
                message: "too many failed sign-ins; try again in \(seconds) seconds",
                headers: [.retryAfter: String(seconds)]
            )
        }
    }

    /// Counts one failure against the email and the address.
    func recordFailure(email: String, address: String?) async throws {
        for (key, _) in keys(email: email, address: address) {
            if try await redis.increment(key) == 1 { try await redis.expire(key, in: limits.window) }
        }
    }

    /// A successful sign-in clears the email's failures (not the address's: one success must not reset an attack).
    func recordSuccess(email: String) async throws {
        try await redis.delete(keys(email: email, address: nil)[0].key)
    }
}
