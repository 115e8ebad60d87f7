import ServiceLifecycle

/// The loop of a background service: `body` every `interval` until graceful shutdown, the first time at once or,
/// with `waitingFirst`, after one interval.
package func repeatUntilShutdown(
    every interval: Duration,
    waitingFirst: Bool = false,
    _ body: @escaping @Sendable () async -> Void
) async {
    await cancelWhenGracefulShutdown {
        if waitingFirst { try? await Task.sleep(for: interval) }
        while !Task.isCancelled {
            await body()
            try? await Task.sleep(for: interval)
        }
    }
}
