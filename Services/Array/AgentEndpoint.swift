import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdWebSocket
import Logging
import NIOCore
import StrypeAgentWire
import StrypeCore
import StrypeService
import Synchronization

/// The agents' WebSocket (`GET /ws`): the agent token is checked at the upgrade, the agent says hello, then the
/// server sends requests and the agent's replies are matched to them until the connection ends.
struct AgentEndpoint: Sendable {
    let core: ArrayCore
    let validator: AgentTokenValidator
    /// How often the server pings each agent; presence lives three of these.
    let heartbeat: Duration
    /// How long an agent has to say hello after connecting.
    static let helloTimeout: Duration = .seconds(10)

    /// An HTTP/1 server that upgrades `GET /ws` to the agent protocol and serves everything else with the router.
    func serverBuilder() -> HTTPServerBuilder {
        let configuration = HTTP1WebSocketUpgradeChannel.Configuration(
            ws: WebSocketServerConfiguration(
                maxFrameSize: AgentTransport.fragmentBytes + AgentFrameCodec.maximumHeaderBytes + 4,
                extensions: [.nonNegotiatedExtension { WordwiseUnmasking() }],
                autoPing: .enabled(timePeriod: .seconds(30))
            )
        )
        return .http1WebSocketUpgrade(configuration: configuration) { request, _, logger in
            guard request.path?.split(separator: "?").first == "/ws" else { return .dontUpgrade }
            let identity: Result<AgentIdentity?, any Error>
            do {
                identity = .success(try await validator.validate(authorization: request.headerFields[.authorization]))
            } catch {
                identity = .failure(error)
            }
            return .upgrade([:]) { inbound, outbound, _ in
                await serve(identity: identity, inbound: inbound, writer: AgentFrameWriter(outbound), logger: logger)
            }
        }
    }

    /// One agent connection, from hello to close.
    func serve(
        identity checked: Result<AgentIdentity?, any Error>,
        inbound: WebSocketInboundStream,
        writer: AgentFrameWriter,
        logger: Logger
    ) async {
        let identity: AgentIdentity
        switch checked {
        case .success(let found?): identity = found
        case .success(nil):
            await writer.close(code: AgentCloseCode.unauthorized, reason: "the agent token is invalid or was revoked")
            return
        case .failure(let error):
            logger.warning("agent token check failed", metadata: ["error": "\(error)"])
            await writer.close(code: 1011, reason: "the server cannot check tokens now; try again")
            return
        }
        var logger = logger
        logger[metadataKey: "member_id"] = "\(identity.memberID)"
        let greeted = Atomic<Bool>(false)
        let watchdog = Task {
            try await Task.sleep(for: Self.helloTimeout)
            if !greeted.load(ordering: .acquiring) {
                await writer.close(code: AgentCloseCode.protocolError, reason: "no hello within 10 s")
            }
        }
        defer { watchdog.cancel() }
        var messages = inbound.messages(maxSize: AgentTransport.maximumMessageBytes).makeAsyncIterator()
        do {
            guard let first = try await messages.next() else { return }
            greeted.store(true, ordering: .releasing)
            guard let connection = try await greet(first, identity: identity, writer: writer, logger: logger) else {
                return
            }
            let beats = Task { await heartbeats(connection, writer: writer, logger: logger) }
            defer { beats.cancel() }
            let reason = await readReplies(&messages, connection: connection, writer: writer, logger: logger)
            await disconnected(connection, reason: reason, logger: logger)
        } catch {
            logger.info("agent connection ended before hello", metadata: ["error": "\(error)"])
        }
    }

    /// Checks the hello, records the member's report and makes this connection the member's; nil when refused.
    private func greet(_ message: WebSocketMessage, identity: AgentIdentity, writer: AgentFrameWriter, logger: Logger)
        async throws -> AgentConnection?
    {
        guard case .binary(let buffer) = message, let hello = try? AgentMessage(decoding: buffer),
            hello.header.op == .hello
        else {
            await writer.close(code: AgentCloseCode.protocolError, reason: "the first frame must be a hello")
            return nil
        }
        if let claimed = hello.header.memberID, UUID(uuidString: claimed) != identity.memberID {
            await writer.close(code: AgentCloseCode.protocolError, reason: "member_id does not match the token")
            return nil
        }
        let report = MemberReport(hello.header)
        guard
            let member = try await core.members.checkIn(
                id: identity.memberID,
                ownerID: identity.ownerID,
                name: identity.name,
                report: report
            )
        else {
            await writer.close(code: AgentCloseCode.removed, reason: "this member was removed; register again")
            return nil
        }
        let connection = AgentConnection(
            memberID: member.id,
            ownerID: member.ownerID,
            name: member.name,
            writer: writer
        )
        if let previous = core.connections.replace(with: connection) {
            await previous.close(code: AgentCloseCode.replaced, reason: "another connection of this member took over")
        }
        try await core.presence.claim(member.id, connectionID: connection.connectionID)
        await core.presence.announce(member.id, online: true)
        var reply = hello.header.reply()
        reply.memberID = member.id.uuidString.lowercased()
        reply.name = member.name
        try await writer.send(reply)
        logger.info(
            "member online",
            metadata: ["name": "\(member.name)", "capacity": "\(report.capacity)", "objects": "\(report.objects)"]
        )
        return connection
    }

    /// Reads until the connection ends: replies go to their requests, pings are answered; a malformed frame ends
    /// the connection (nothing was stored from it). Returns why it ended.
    private func readReplies(
        _ messages: inout WebSocketInboundMessageStream.AsyncIterator,
        connection: AgentConnection,
        writer: AgentFrameWriter,
        logger: Logger
    ) async -> String {
        do {
            while let message = try await messages.next() {
                guard case .binary(let buffer) = message else {
                    await connection.close(code: AgentCloseCode.protocolError, reason: "frames are binary messages")
                    return "the agent sent a text message"
                }
                let frame: AgentMessage
                do {
                    frame = try AgentMessage(decoding: buffer)
                } catch {
                    await connection.close(code: AgentCloseCode.protocolError, reason: "malformed frame: \(error)")
                    return "malformed frame: \(error)"
                }
                if frame.header.status != nil {
                    if !connection.deliver(frame) {
                        logger.debug("reply to no pending request", metadata: ["id": "\(frame.header.id)"])
                    }
                } else if frame.header.op == .ping {
                    var pong = AgentFrameHeader(op: .pong, id: frame.header.id)
                    pong.status = AgentStatus.ok
                    try await writer.send(pong)
                } else {
                    try await writer.send(
                        frame.header.errorReply(
                            code: AgentStatus.invalid,
                            "the server does not serve \(frame.header.op)"
                        )
                    )
                }
            }
            return connection.closedReason ?? "the agent closed the connection"
        } catch {
            return connection.closedReason ?? "the connection broke: \(error)"
        }
    }

    /// Keeps presence fresh while the connection lives, and pings the agent: a pong refreshes its report, and an
    /// agent that does not answer within the time a largest message could take is disconnected. Pings queue behind
    /// big transfers, so presence does not wait for them.
    private func heartbeats(_ connection: AgentConnection, writer: AgentFrameWriter, logger: Logger) async {
        let liveness = AgentConnection.timeout(base: core.requestTimeout, bytes: AgentFrameCodec.maximumPayloadBytes)
        let pinging = PingGate()
        await withDiscardingTaskGroup { group in
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: heartbeat)
                    guard try await core.presence.refresh(connection.memberID, connectionID: connection.connectionID)
                    else {
                        await connection.close(code: AgentCloseCode.replaced, reason: "another connection took over")
                        return
                    }
                } catch is CancellationError {
                    return
                } catch {
                    logger.warning("presence refresh failed", metadata: ["error": "\(error)"])
                }
                guard pinging.enter() else { continue }
                group.addTask {
                    defer { pinging.leave() }
                    do {
                        let pong = try await connection.call(AgentFrameHeader(op: .ping, id: 0), timeout: liveness)
                        try await core.members.report(id: connection.memberID, MemberReport(pong.header))
                    } catch AgentCallError.timedOut {
                        logger.warning("member stopped answering pings")
                        await connection.close(code: 1011, reason: "no answer to ping")
                    } catch {
                        logger.debug("ping ended", metadata: ["error": "\(error)"])
                    }
                }
            }
        }
    }

    private func disconnected(_ connection: AgentConnection, reason: String, logger: Logger) async {
        connection.closed(reason: "the member disconnected: \(reason)")
        core.connections.remove(connection)
        if (try? await core.presence.release(connection.memberID, connectionID: connection.connectionID)) == true {
            await core.presence.announce(connection.memberID, online: false)
        }
        try? await core.members.touch(id: connection.memberID)
        logger.info("member offline", metadata: ["reason": "\(reason)"])
    }
}

extension MemberReport {
    /// What an agent said about itself in a hello or pong; missing numbers count as zero.
    init(_ header: AgentFrameHeader) {
        self.init(
            capacity: max(header.capacity ?? 0, 0),
            free: max(header.free ?? 0, 0),
            objects: max(header.objects ?? 0, 0),
            bytes: max(header.bytes ?? 0, 0),
            version: header.version.map { String($0.prefix(64)) }
        )
    }
}

/// One ping in flight at a time per connection.
private final class PingGate: Sendable {
    private let busy = Atomic<Bool>(false)

    func enter() -> Bool { !busy.exchange(true, ordering: .acquiringAndReleasing) }
    func leave() { busy.store(false, ordering: .releasing) }
}
