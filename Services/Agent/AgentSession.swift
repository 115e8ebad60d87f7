import Foundation
import HTTPTypes
import Logging
import NIOCore
import StrypeAgentWire
import StrypeCore
import Synchronization
import WSClient

/// The agent's connection to its server: hello, then serve requests concurrently until the connection ends, then
/// reconnect with exponential backoff and jitter; a revoked token or removed member ends the program instead.
final class AgentSession: Sendable {
    let config: AgentConfig
    let store: ObjectDirectory
    let console: Console
    let version: String
    private let counters = Mutex(Counters())

    struct Counters {
        var connected = false
        var inFlight: Set<UInt64> = []
        var bytesIn: Int64 = 0
        var bytesOut: Int64 = 0
        var requests: Int64 = 0
    }

    init(config: AgentConfig, store: ObjectDirectory, console: Console, version: String) {
        self.config = config
        self.store = store
        self.console = console
        self.version = version
    }

    /// The WebSocket URL of the array endpoint behind the server's gateway.
    var webSocketURL: String {
        var base = config.server
        while base.hasSuffix("/") { base.removeLast() }
        if base.hasPrefix("https://") { base = "wss://" + base.dropFirst("https://".count) }
        if base.hasPrefix("http://") { base = "ws://" + base.dropFirst("http://".count) }
        return base + "/api/array/ws"
    }

    /// Connects, serves and reconnects until the server says this member can no longer connect.
    func runForever() async throws {
        var attempt = 0
        while !Task.isCancelled {
            let started = ContinuousClock.now
            let ending = await connectOnce()
            counters.withLock { $0.connected = false }
            if let fatal = ending.fatal { throw AgentFailure(fatal) }
            // A connection that lived a while resets the backoff; a failing one backs off up to a minute.
            if ContinuousClock.now - started > .seconds(30) { attempt = 0 }
            let ceiling = min(60.0, 0.5 * pow(2.0, Double(attempt)))
            let delay = Double.random(in: (ceiling / 2)...ceiling)
            attempt = min(attempt + 1, 16)
            console.say(String(format: "disconnected: %@; retrying in %.1f s", ending.reason, delay))
            try await Task.sleep(for: .milliseconds(Int(delay * 1000)))
        }
    }

    private struct Ending {
        var reason: String
        var fatal: String?
    }

    private func connectOnce() async -> Ending {
        var logger = Logger(label: "cloudstrype-agent")
        logger.logLevel = .critical
        do {
            let close = try await AgentSocket.connect(
                url: webSocketURL,
                headers: [("Authorization", "Bearer \(config.token)")],
                maxFrameSize: AgentTransport.fragmentBytes + AgentFrameCodec.maximumHeaderBytes + 4,
                logger: logger
            ) { inbound, outbound, _ in
                try await self.serve(inbound: inbound, writer: AgentFrameWriter(outbound))
            }
            guard let close else { return Ending(reason: "the connection ended") }
            let reason = close.reason ?? "closed"
            switch close.closeCode {
            case .unknown(AgentCloseCode.unauthorized):
                return Ending(reason: reason, fatal: "the server refused the agent token (\(reason)); register again")
            case .unknown(AgentCloseCode.removed):
                return Ending(reason: reason, fatal: "this member was removed (\(reason)); register again")
            default:
                return Ending(reason: "server closed the connection: \(reason)")
            }
        } catch {
            return Ending(reason: "cannot connect to \(webSocketURL): \(error)")
        }
    }

    /// Says hello, then reads requests and serves each in its own task; replies go out as they finish.
    private func serve(inbound: WebSocketInboundStream, writer: AgentFrameWriter) async throws {
        var hello = AgentFrameHeader(op: .hello, id: 0)
        hello.memberID = config.memberID
        hello.version = version
        fillReport(&hello)
        try await writer.send(hello)
        try await withThrowingDiscardingTaskGroup { group in
            for try await message in inbound.messages(maxSize: AgentTransport.maximumMessageBytes) {
                guard case .binary(let buffer) = message else { continue }
                let request: AgentMessage
                do {
                    request = try AgentMessage(decoding: buffer)
                } catch {
                    console.say("malformed frame from the server: \(error)")
                    await writer.close(code: AgentCloseCode.protocolError, reason: "malformed frame")
                    return
                }
                if request.header.op == .hello {
                    guard request.isSuccess else { continue }
                    counters.withLock { $0.connected = true }
                    console.say("connected to \(config.server) as \(request.header.name ?? config.name)")
                    continue
                }
                if request.header.status != nil { continue }
                let id = request.header.id
                let fresh = counters.withLock { $0.inFlight.insert(id).inserted }
                guard fresh else {
                    try await writer.send(
                        request.header.errorReply(code: AgentStatus.invalid, "request id \(id) is already in flight")
                    )
                    continue
                }
                group.addTask {
                    defer { _ = self.counters.withLock { $0.inFlight.remove(id) } }
                    let (reply, payload) = await self.answer(request)
                    try await writer.send(reply, payload: payload)
                    self.counters.withLock {
                        $0.bytesOut += Int64(payload.readableBytes)
                        $0.requests += 1
                    }
                }
            }
        }
    }

    /// Carries out one request against the object directory.
    func answer(_ request: AgentMessage) async -> (AgentFrameHeader, ByteBuffer) {
        let header = request.header
        do {
            switch header.op {
            case .ping:
                var pong = header.reply()
                pong.op = .pong
                fillReport(&pong)
                return (pong, ByteBuffer())
            case .put:
                counters.withLock { $0.bytesIn += Int64(request.payload.readableBytes) }
                try await store.put(key: try key(header), data: request.payload, sha256: header.sha256)
                return (header.reply(), ByteBuffer())
            case .get:
                let data = try await store.get(key: try key(header))
                var reply = header.reply()
                // The hash of what is on disk lets the server notice bit rot without hashing the bytes itself, unless
                // the caller checks them anyway.
                if header.digest != false { reply.sha256 = ObjectDirectory.sha256(data) }
                return (reply, data)
            case .stat:
                var reply = header.reply()
                reply.size = try store.stat(key: try key(header))
                return (reply, ByteBuffer())
            case .delete:
                try store.delete(key: try key(header))
                return (header.reply(), ByteBuffer())
            case .list:
                let page = try await store.list(after: header.cursor, limit: min(max(header.limit ?? 1000, 1), 1000))
                var reply = header.reply()
                reply.keys = page.keys
                reply.cursor = page.next
                return (reply, ByteBuffer())
            case .audit:
                guard let nonce = header.nonce.flatMap(Self.bytes(hex:)), nonce.count >= 16 else {
                    throw StoreError(code: AgentStatus.invalid, description: "audit needs a nonce of 16+ bytes in hex")
                }
                var reply = header.reply()
                reply.proof = try await store.proof(key: try key(header), nonce: nonce)
                return (reply, ByteBuffer())
            case .hello, .pong:
                throw StoreError(code: AgentStatus.invalid, description: "\(header.op) is not a request")
            }
        } catch let error as StoreError {
            return (header.errorReply(code: error.code, error.description), ByteBuffer())
        } catch {
            return (header.errorReply(code: AgentStatus.failed, "\(error)"), ByteBuffer())
        }
    }

    private func key(_ header: AgentFrameHeader) throws -> String {
        guard let key = header.key else {
            throw StoreError(code: AgentStatus.invalid, description: "a key is required")
        }
        return key
    }

    private func fillReport(_ header: inout AgentFrameHeader) {
        header.capacity = store.capacity
        header.free = store.free
        header.objects = store.objects
        header.bytes = store.bytes
    }

    static func bytes(hex: String) -> [UInt8]? {
        let digits = Array(hex.utf8)
        guard digits.count % 2 == 0, digits.count <= 256 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: digits.count, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
        }
        return bytes
    }

    /// One line a person can follow: connection, what is stored, recent rates.
    func statusLine(since previous: (bytesIn: Int64, bytesOut: Int64), seconds: Double) -> (String, Int64, Int64) {
        let snapshot = counters.withLock { $0 }
        let rateIn = Double(snapshot.bytesIn - previous.bytesIn) / max(seconds, 0.001)
        let rateOut = Double(snapshot.bytesOut - previous.bytesOut) / max(seconds, 0.001)
        let line = [
            snapshot.connected ? "connected" : "offline",
            "\(store.objects) objects",
            "\(ByteCount.format(store.bytes)) of \(ByteCount.format(store.capacity))",
            "in \(ByteCount.format(Int64(rateIn)))/s",
            "out \(ByteCount.format(Int64(rateOut)))/s",
            "\(snapshot.inFlight.count) in flight",
            "\(snapshot.requests) served",
        ].joined(separator: " · ")
        return (line, snapshot.bytesIn, snapshot.bytesOut)
    }
}

/// Where the agent tells its user what it is doing: standard error, one line at a time, with a timestamp.
struct Console: Sendable {
    func say(_ line: String) {
        let stamp = Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: false))
        FileHandle.standardError.write(Data("\(stamp) \(line)\n".utf8))
    }
}
