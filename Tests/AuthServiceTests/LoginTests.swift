import Foundation
import StrypeCore
import StrypeService
import Testing

@testable import AuthService

extension AuthTests {
    @Suite("sign-in and rate limits")
    struct Login {
        @Test("unknown email and wrong password answer the same 401, in about the same time")
        func sameAnswer() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                _ = try await auth.signUp("known@example.com")
                var wrongTimes: [Duration] = []
                var unknownTimes: [Duration] = []
                var bodies = Set<String>()
                let nobody = "nobody-\(UUID().uuidString.prefix(8))@example.com"
                for round in 0..<3 {
                    var started = ContinuousClock.now
                    let wrong = try await auth.call(
                        .post,
                        "/login",
                        json: LoginRequest(email: "known@example.com", password: "wrong password \(round)"),
                        address: "10.0.0.\(round)"
                    )
                    wrongTimes.append(ContinuousClock.now - started)
                    started = ContinuousClock.now
                    let unknown = try await auth.call(
                        .post,
                        "/login",
                        json: LoginRequest(email: nobody, password: "wrong password \(round)"),
                        address: "10.0.1.\(round)"
                    )
                    unknownTimes.append(ContinuousClock.now - started)
                    #expect(wrong.status == .unauthorized)
                    #expect(unknown.status == .unauthorized)
                    bodies.insert(wrong.text)
                    bodies.insert(unknown.text)
                }
                #expect(bodies.count == 1, "the two failures must be indistinguishable: \(bodies)")
                // Both pay for a full Argon2id check; medians within a factor of three on a noisy machine.
                let wrong = wrongTimes.sorted()[1]
                let unknown = unknownTimes.sorted()[1]
                #expect(unknown * 3 > wrong && wrong * 3 > unknown, "wrong \(wrong), unknown \(unknown)")
            }
        }

        @Test("failures per email are limited: 429 with Retry-After, even for the right password")
        func perEmailLimit() async throws {
            let limits = LoginLimits(perEmail: 3, perAddress: 1000, window: .seconds(60))
            let harness = try await AuthHarness(settings: AuthSettings(loginLimits: limits))
            try await harness.run { auth in
                let email = "limited-\(UUID().uuidString.prefix(8))@example.com"
                _ = try await auth.signUp(email)
                for attempt in 0..<3 {
                    let reply = try await auth.call(
                        .post,
                        "/login",
                        json: LoginRequest(email: email, password: "guess \(attempt)"),
                        address: "192.0.2.\(attempt)"
                    )
                    #expect(reply.status == .unauthorized)
                }
                let blocked = try await auth.call(
                    .post,
                    "/login",
                    json: LoginRequest(email: email, password: AuthHarness.password),
                    address: "192.0.2.99"
                )
                #expect(blocked.status == .tooManyRequests)
                #expect(blocked.error?.code == "too_many_attempts")
                let retryAfter = try #require(blocked.headers[.retryAfter].flatMap { Int($0) })
                #expect((1...60).contains(retryAfter))
            }
        }

        @Test("failures per client address are limited across emails")
        func perAddressLimit() async throws {
            let limits = LoginLimits(perEmail: 100, perAddress: 4, window: .seconds(60))
            let harness = try await AuthHarness(settings: AuthSettings(loginLimits: limits))
            try await harness.run { auth in
                let address = "198.51.100.\(Int.random(in: 1...250))-\(UUID().uuidString.prefix(6))"
                _ = try await auth.signUp("victim@example.com")
                for attempt in 0..<4 {
                    _ = try await auth.call(
                        .post,
                        "/login",
                        json: LoginRequest(email: "spray\(attempt)@example.com", password: "guess guess"),
                        address: address
                    )
                }
                let blocked = try await auth.call(
                    .post,
                    "/login",
                    json: LoginRequest(email: "victim@example.com", password: AuthHarness.password),
                    address: address
                )
                #expect(blocked.status == .tooManyRequests)
                let elsewhere = try await auth.call(
                    .post,
                    "/login",
                    json: LoginRequest(email: "victim@example.com", password: AuthHarness.password),
                    address: "203.0.113.7-\(UUID().uuidString.prefix(6))"
                )
                #expect(elsewhere.status == .ok)
            }
        }

        @Test("a disabled account cannot sign in")
        func disabledAccount() async throws {
            let harness = try await AuthHarness()
            try await harness.run { auth in
                _ = try await harness.signUpAdmin("admin@example.com", via: auth)
                let user = try await auth.signUp("off@example.com").user
                _ = try await harness.core.users.update(
                    id: user.id,
                    name: nil,
                    roles: nil,
                    disabled: true,
                    passwordHash: nil
                )
                let reply = try await auth.call(
                    .post,
                    "/login",
                    json: LoginRequest(email: "off@example.com", password: AuthHarness.password)
                )
                #expect(reply.status == .forbidden)
            }
        }
    }
}
