import AsyncHTTPClient
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle

/// The HTTP clients S3 calls go through. Before every request the host is resolved once, every address it has is
/// checked against the endpoint policy, and the connection goes to a checked address: a name that resolves
/// elsewhere afterwards (DNS rebinding) cannot move it. No client follows redirects. Plain HTTP connects to the
/// address itself (the signed `Host` header keeps the endpoint's name); HTTPS to a name goes through a client
/// pinned to the checked address, which still sends the name as SNI and verifies the certificate for it.
final class S3Connections: Service, Sendable {
    /// Where one request goes: the client to send it with and the host its URL names.
    struct Route: Sendable {
        let client: HTTPClient
        let urlHost: String
    }

    let policy: EndpointPolicy
    let threadPool: NIOThreadPool
    let logger: Logger
    private let state = NIOLockedValueBox(State())

    /// How long a resolution is reused (each use is checked again all the same).
    static let resolutionLifetime: Duration = .seconds(10)
    /// How long an HTTPS pin outlives its address leaving the name's answers, and how long a replaced client is
    /// kept for requests still streaming through it.
    static let pinLifetime: Duration = .seconds(300)
    static let retiredLifetime: Duration = .seconds(3600)
    static let maximumPins = 256

    init(policy: EndpointPolicy, threadPool: NIOThreadPool, logger: Logger) {
        self.policy = policy
        self.threadPool = threadPool
        self.logger = logger
    }

    /// Resolves and checks the location's host and says how to reach it; `endpointNotAllowed` when the policy
    /// refuses any of its addresses, `unreachable` when it does not resolve. Nothing is connected to here.
    func route(for location: S3Location) async throws -> Route {
        let endpointHost = location.host.lowercased()
        let name = location.hostName.lowercased()
        guard EndpointPolicy.isPlainHost(endpointHost), EndpointPolicy.isPlainHost(name) else {
            throw ObjectStoreError.endpointNotAllowed
        }
        let addresses = try await resolve(name)
        // The allowance names the host connected to: in virtual-host style that is `<bucket>.<endpoint>`, whose labels
        // the user chooses, so an allowed private endpoint is allowed in path style only.
        if !policy.allowsPrivate(host: name, port: location.effectivePort) {
            if let refused = addresses.first(where: { $0.kind != .publicAddress }) {
                logger.warning(
                    "S3 endpoint refused",
                    metadata: [
                        "host": "\(name)", "port": "\(location.effectivePort)", "address": "\(refused)",
                        "kind": "\(refused.kind.rawValue)",
                    ]
                )
                throw ObjectStoreError.endpointNotAllowed
            }
        }
        let literal = IPAddress(name)
        if location.scheme == "http" || literal != nil {
            return Route(client: try sharedClient(), urlHost: (literal ?? Self.preferred(addresses)).urlHost)
        }
        return Route(client: try pinnedClient(name: name, addresses: addresses), urlHost: name)
    }

    /// Shuts every client down once the service stops.
    func run() async throws {
        try? await gracefulShutdown()
        await shutdown()
    }

    /// Shuts every client down; later routes fail.
    func shutdown() async {
        let clients = state.withLockedValue { state -> [HTTPClient] in
            state.closed = true
            let all = (state.shared.map { [$0] } ?? []) + state.pins.values.map(\.client) + state.retired.map(\.client)
            state.shared = nil
            state.pins = [:]
            state.retired = []
            return all
        }
        for client in clients { try? await client.shutdown() }
    }

    private func resolve(_ name: String) async throws -> [IPAddress] {
        let now = ContinuousClock.now
        if let cached = state.withLockedValue({ $0.resolved[name] }), now - cached.at < Self.resolutionLifetime {
            return cached.addresses
        }
        let addresses: [IPAddress]
        do {
            addresses = try await threadPool.runIfActive { try HostResolver.resolve(name) }
        } catch {
            logger.info("S3 endpoint does not resolve", metadata: ["host": "\(name)", "error": "\(error)"])
            throw ObjectStoreError.unreachable("the endpoint's host does not resolve")
        }
        state.withLockedValue { state in
            if state.resolved.count >= 1024 { state.resolved = [:] }
            state.resolved[name] = Resolution(addresses: addresses, at: now)
        }
        return addresses
    }

    private func sharedClient() throws -> HTTPClient {
        try state.withLockedValue { state in
            guard !state.closed else { throw ObjectStoreError.unreachable("cloud is shutting down") }
            if let shared = state.shared { return shared }
            let client = Self.makeClient(dnsOverride: [:])
            state.shared = client
            return client
        }
    }

    private func pinnedClient(name: String, addresses: [IPAddress]) throws -> HTTPClient {
        let now = ContinuousClock.now
        let (client, expired) = try state.withLockedValue { state -> (HTTPClient, [HTTPClient]) in
            guard !state.closed else { throw ObjectStoreError.unreachable("cloud is shutting down") }
            let expired = state.retired.filter { now - $0.since >= Self.retiredLifetime }.map(\.client)
            state.retired.removeAll { now - $0.since >= Self.retiredLifetime }
            if var pin = state.pins[name], addresses.contains(pin.address) || now - pin.since < Self.pinLifetime {
                pin.used = now
                state.pins[name] = pin
                return (pin.client, expired)
            }
            if let old = state.pins.removeValue(forKey: name) {
                state.retired.append(Retired(client: old.client, since: now))
            }
            if state.pins.count >= Self.maximumPins,
                let stalest = state.pins.min(by: { $0.value.used < $1.value.used })?.key,
                let old = state.pins.removeValue(forKey: stalest)
            {
                state.retired.append(Retired(client: old.client, since: now))
            }
            let address = Self.preferred(addresses)
            let client = Self.makeClient(dnsOverride: [name: address.description])
            state.pins[name] = Pin(address: address, client: client, since: now, used: now)
            return (client, expired)
        }
        for old in expired { Task { try? await old.shutdown() } }
        return client
    }

    /// IPv4 first when there is one: hosts without an IPv6 route are common, and only one address is tried.
    private static func preferred(_ addresses: [IPAddress]) -> IPAddress {
        addresses.first { !$0.isIPv6 } ?? addresses[0]
    }

    /// A client as the services' own, but that never follows a redirect and connects where `dnsOverride` says.
    private static func makeClient(dnsOverride: [String: String]) -> HTTPClient {
        var configuration = HTTPClient.Configuration()
        configuration.timeout = .init(connect: .seconds(5), read: .seconds(60))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 64)
        configuration.connectionPool.retryConnectionEstablishment = false
        configuration.decompression = .disabled
        configuration.redirectConfiguration = .disallow
        configuration.dnsOverride = dnsOverride
        return HTTPClient(eventLoopGroupProvider: .singleton, configuration: configuration)
    }

    private struct Resolution: Sendable {
        var addresses: [IPAddress]
        var at: ContinuousClock.Instant
    }

    private struct Pin: Sendable {
        var address: IPAddress
        var client: HTTPClient
        var since: ContinuousClock.Instant
        var used: ContinuousClock.Instant
    }

    private struct Retired: Sendable {
        var client: HTTPClient
        var since: ContinuousClock.Instant
    }

    private struct State: Sendable {
        var shared: HTTPClient?
        var pins: [String: Pin] = [:]
        var retired: [Retired] = []
        var resolved: [String: Resolution] = [:]
        var closed = false
    }
}
