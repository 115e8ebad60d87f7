import ServiceLifecycle

/// Keeps a service's `SessionRevocations` current from Redis for as long as the service runs.
package struct RevocationFollower: Service {
    package let dependencies: ServiceDependencies

    package init(dependencies: ServiceDependencies) {
        self.dependencies = dependencies
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            await dependencies.revocations.follow(
                subscriber: dependencies.subscriber(),
                redis: dependencies.redis,
                logger: dependencies.logger
            )
        }
    }
}
