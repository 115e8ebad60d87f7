import Foundation
import Logging
import ServiceLifecycle
import StrypeService

/// Probes every account on a schedule (a HEAD of an absent key proves the endpoint answers and the credentials are
/// accepted), so an account nobody used lately still shows its true health. One replica probes per round: they
/// share the turn through a Redis lock.
struct AccountProber: Service {
    let core: CloudCore
    let interval: Duration

    func run() async throws {
        await repeatUntilShutdown(every: interval, waitingFirst: true) {
            do {
                let lock = "cloud:prober-lock"
                guard try await core.redis.set(lock, "1", expiresIn: interval, onlyIfAbsent: true) else { return }
                await probeAll()
            } catch {
                core.logger.warning("account probe round failed", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Probes each account once and records what it found.
    func probeAll() async {
        guard let accounts = try? await core.accounts.all() else { return }
        for account in accounts {
            do {
                _ = try await core.store(for: account).head(key: "cloudstrype-health-probe")
                await core.noteHealth(account, error: nil)
            } catch {
                await core.noteHealth(account, error: error)
            }
        }
    }
}
