import Foundation
import Hummingbird
import ServiceLifecycle
import StrypeCore
import StrypeService

/// The array service: desktop agents as storage members.
enum ArrayService {
    /// How the shared runtime starts this service.
    static let definition = ServiceDefinition(
        name: .array,
        peers: [.auth, .filesystem],
        keepsLargeBuffers: true,
        migrations: ArrayMigrations.all,
        settings: { config throws(ConfigError) in
            try ArraySettings(environment: config.environment, port: config.internalPort, host: config.host)
        },
        build: { dependencies, settings in parts(dependencies: dependencies, settings: settings) }
    )

    /// One controller per URL prefix, the background work and the WebSocket-capable server.
    static func parts(dependencies: ServiceDependencies, settings: ArraySettings) -> ServiceParts {
        let config = dependencies.config
        let auth = dependencies.client(for: .auth)
        let tokens = ServiceTokenProvider(auth: auth, service: "array", secret: config.serviceSecret)
        let core = ArrayCore(
            members: MemberRepository(client: dependencies.postgres, logger: dependencies.logger),
            connections: ConnectionTable(),
            presence: MemberPresence(
                redis: dependencies.redis,
                instanceURL: settings.instanceURL,
                ttl: settings.presenceTTL
            ),
            auth: auth,
            http: dependencies.http,
            serviceTokens: tokens,
            requestTimeout: settings.requestTimeout,
            logger: dependencies.logger,
            quota: FilesystemQuota(filesystem: dependencies.client(for: .filesystem), tokens: tokens)
        )
        let validator = AgentTokenValidator(auth: auth)
        let endpoint = AgentEndpoint(core: core, validator: validator, heartbeat: settings.presenceTTL / 3)
        return ServiceParts(
            controllers: [
                MembersController(core: core, agents: validator),
                ObjectsController(objects: MemberObjects(core: core)),
                AuditController(core: core),
                AgentSocketController(),
                FrameRelayController(core: core),
                SeedController(backends: MemberSeeds(core: core)),
            ],
            authentication: dependencies.authentication(dependencies.makeVerifier()),
            services: [ConnectionCloser(core: core, subscriber: dependencies.subscriber())],
            server: endpoint.serverBuilder()
        )
    }
}

/// Closes the connections of members removed here or elsewhere, and of agents whose token auth revoked.
struct ConnectionCloser: Service {
    let core: ArrayCore
    let subscriber: RedisSubscriber

    func run() async throws {
        await cancelWhenGracefulShutdown {
            for await event in subscriber.subscribe(to: [ArrayCore.closeChannel, ArrayCore.agentRevokedChannel]) {
                guard case .message(let channel, let payload) = event, let id = UUID(uuidString: payload),
                    let connection = core.connections[id]
                else { continue }
                let revoked = channel == ArrayCore.agentRevokedChannel
                await connection.close(
                    code: revoked ? AgentCloseCode.unauthorized : AgentCloseCode.removed,
                    reason: revoked ? "the agent token was revoked" : "this member was removed"
                )
            }
        }
    }
}
