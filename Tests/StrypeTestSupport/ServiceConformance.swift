import Foundation
import Hummingbird
import HummingbirdTesting
import PostgresNIO
import StrypeCore
import StrypeService

/// What every service must do on the shared runtime, checked against the real test Postgres and Redis. Returns the
/// problems found, so each service's test asserts the list is empty and sees every failure by name.
package enum ServiceConformance {
    package static func problems(
        of definition: ServiceDefinition,
        peers expectedPeers: [ServiceName],
        needsMasterKey: Bool
    ) async throws -> [String] {
        var problems: [String] = []
        if Set(definition.peers) != Set(expectedPeers) {
            problems.append("peers are \(definition.peers), expected \(expectedPeers)")
        }
        if definition.needsMasterKey != needsMasterKey {
            problems.append("needsMasterKey is \(definition.needsMasterKey)")
        }
        problems += configurationProblems(definition)
        problems += try await migrationProblems(definition)
        problems += try await routeProblems(definition)
        return problems
    }

    /// Each required variable, left out, must stop the service naming it.
    private static func configurationProblems(_ definition: ServiceDefinition) -> [String] {
        var environment = [
            "DATABASE_URL": "postgres://u@localhost/db",
            "REDIS_URL": "redis://localhost:6379",
            "SERVICE_SECRET": "conformance-secret-0123456789-abcdef",
            "CLOUDSTRYPE_MASTER_KEY": "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0",
        ]
        for peer in definition.peers { environment[peer.urlVariable] = "http://\(peer.rawValue):8080" }
        var required = ["DATABASE_URL", "REDIS_URL", "SERVICE_SECRET"] + definition.peers.map(\.urlVariable)
        if definition.needsMasterKey { required.append("CLOUDSTRYPE_MASTER_KEY") }
        var problems: [String] = []
        for variable in required {
            var partial = environment
            partial[variable] = nil
            do {
                _ = try load(definition, partial)
                problems.append("starts without \(variable)")
            } catch {
                if error.variable != variable { problems.append("missing \(variable) reported as \(error.variable)") }
            }
        }
        do {
            _ = try load(definition, environment)
        } catch {
            problems.append("a complete environment is refused: \(error)")
        }
        return problems
    }

    private static func load(_ definition: ServiceDefinition, _ environment: [String: String]) throws(ConfigError)
        -> ServiceConfig
    {
        let config = try ServiceConfig.load(
            service: definition.name,
            peers: definition.peers,
            needsMasterKey: definition.needsMasterKey,
            environment: environment
        )
        _ = try definition.prepare(config)
        return config
    }

    /// The migrations create the service's own schema and record every version; a second run changes nothing.
    private static func migrationProblems(_ definition: ServiceDefinition) async throws -> [String] {
        try await TestEnvironment.withPostgres { client in
            let migrator = Migrator(
                client: client,
                schema: definition.name.schema,
                migrations: definition.migrations,
                logger: TestEnvironment.logger
            )
            try await migrator.run()
            var problems: [String] = []
            let again = try await migrator.run()
            if !again.isEmpty { problems.append("second migration run applied \(again)") }
            let rows = try await client.query(
                PostgresQuery(
                    unsafeSQL: "SELECT version FROM \"\(definition.name.schema)\".schema_migrations ORDER BY version"
                ),
                logger: TestEnvironment.logger
            )
            var versions: [Int] = []
            for try await version in rows.decode(Int.self) { versions.append(version) }
            let expected = definition.migrations.map(\.version).sorted()
            if versions != expected { problems.append("recorded migrations \(versions), expected \(expected)") }
            if versions.first != 1 { problems.append("no first migration creating the schema") }
            return problems
        }
    }

    /// The service answers the operational routes under its own name, and each route of `Gateway/openapi.yaml` is
    /// served by the controller named for its resource (`RouteOwnership`).
    private static func routeProblems(_ definition: ServiceDefinition) async throws -> [String] {
        let deps = try TestDependencies(service: definition.name, peers: definition.peers)
        let (_, parts) = buildRouterAndServices(
            definition,
            assembly: definition.preparedForTests(deps.dependencies.config),
            dependencies: deps.dependencies
        )
        let owned = try RouteOwnership.problems(parts.routes, service: definition.name.rawValue)
        let app = buildApplication(definition, dependencies: deps.dependencies, listener: .internalPort)
        let problems = try await app.test(.router) { client -> [String] in
            var problems = owned
            try await client.execute(uri: "/health", method: .get) { response in
                let body = try? WireJSON.decode(HealthResponse.self, from: Data(buffer: response.body))
                if response.status != .ok || body?.service != definition.name.rawValue {
                    problems.append("/health answered \(response.status) \(String(buffer: response.body))")
                }
            }
            try await client.execute(uri: "/ready", method: .get) { response in
                if response.status != .ok { problems.append("/ready answered \(response.status)") }
            }
            try await client.execute(uri: "/metrics", method: .get) { response in
                if !String(buffer: response.body).contains("http_requests_total") {
                    problems.append("/metrics has no request counts")
                }
            }
            return problems
        }
        await deps.shutdown()
        return problems
    }
}
