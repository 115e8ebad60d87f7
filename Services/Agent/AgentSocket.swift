import Crypto
import Foundation
import Logging
import NIOCore
import NIOHTTP1
import NIOSSL
import NIOWebSocket
import StrypeAgentWire
import WSClient
@_spi(WSInternal) import WSCore

/// The agent's WebSocket to its server: swift-websocket's connection and message handling over a pipeline of our
/// own, whose frame encoder masks a word at a time (`WordwiseMaskingEncoder`; a client must mask everything it
/// sends, and NIO's encoder does it a byte at a time).
struct AgentSocket: ClientConnectionChannel {
    /// How the upgrade ended.
    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused
    }

    /// What the message handler is given beside the streams.
    struct Context: WebSocketContext {
        let logger: Logger
    }

    /// The server refused the upgrade (not a WebSocket endpoint, or it answered with an error).
    struct UpgradeRefused: Error, CustomStringConvertible {
        var description: String { "the server did not upgrade the connection to a WebSocket" }
    }

    let host: String
    let path: String
    let headers: HTTPHeaders
    let tls: NIOSSLContext?
    let maxFrameSize: Int
    let handler: WebSocketDataHandler<Context>

    /// Connects to `url` (`ws://` or `wss://`) with `headers` and serves the connection with `handler` until it
    /// closes; the server's close frame, if it sent one.
    static func connect(
        url: String,
        headers extra: [(String, String)],
        maxFrameSize: Int,
        logger: Logger,
        handler: @escaping WebSocketDataHandler<Context>
    ) async throws -> WebSocketCloseFrame? {
        guard let parsed = URL(string: url), let host = parsed.host, ["ws", "wss"].contains(parsed.scheme) else {
            throw URLError(.badURL)
        }
        let secure = parsed.scheme == "wss"
        let port = parsed.port ?? (secure ? 443 : 80)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: parsed.port.map { "\(host):\($0)" } ?? host)
        for (name, value) in extra { headers.add(name: name, value: value) }
        let query = parsed.query.map { "?\($0)" } ?? ""
        let socket = AgentSocket(
            host: host,
            path: (parsed.path.isEmpty ? "/" : parsed.path) + query,
            headers: headers,
            tls: secure ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil,
            maxFrameSize: maxFrameSize,
            handler: handler
        )
        return try await ClientConnection(socket, address: .hostname(host, port: port), logger: logger).run()
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<EventLoopFuture<Upgrade>> {
        channel.eventLoop.makeCompletedFuture {
            if let tls {
                try channel.pipeline.syncOperations.addHandler(
                    try NIOSSLClientHandler(context: tls, serverHostname: host),
                    position: .first
                )
            }
            let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: path, headers: headers)
            let upgrade = NIOTypedHTTPClientUpgradeConfiguration<Upgrade>(
                upgradeRequestHead: request,
                upgraders: [Upgrader(maxFrameSize: maxFrameSize)],
                notUpgradingCompletionHandler: { channel in channel.eventLoop.makeCompletedFuture { .refused } }
            )
            var configuration = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: upgrade)
            configuration.leftOverBytesStrategy = .forwardBytes
            return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(
                configuration: configuration
            )
        }
    }

    func handle(value: EventLoopFuture<Upgrade>, logger: Logger) async throws -> WebSocketCloseFrame? {
        switch try await value.get() {
        case .websocket(let channel):
            return try await WebSocketHandler.handle(
                type: .client,
                configuration: .init(
                    extensions: [],
                    autoPing: .enabled(timePeriod: .seconds(30)),
                    validateUTF8: false,
                    maxFrameSize: maxFrameSize
                ),
                asyncChannel: channel,
                context: Context(logger: logger),
                handler: handler
            )
        case .refused:
            throw UpgradeRefused()
        }
    }

    /// The WebSocket upgrade (RFC 6455 §4.1), installing `WordwiseMaskingEncoder` where NIO's upgrader installs its
    /// own encoder, which a pipeline cannot take out again.
    struct Upgrader: NIOTypedHTTPClientProtocolUpgrader {
        let supportedProtocol = "websocket"
        let requiredUpgradeHeaders: [String] = []
        let maxFrameSize: Int
        let key = NIOWebSocketClientUpgrader.randomRequestKey()

        func addCustom(upgradeRequestHeaders: inout HTTPHeaders) {
            upgradeRequestHeaders.add(name: "Sec-WebSocket-Key", value: key)
            upgradeRequestHeaders.add(name: "Sec-WebSocket-Version", value: "13")
        }

        /// The server proves it read our key: `Sec-WebSocket-Accept` is base64(SHA-1(key ‖ the RFC's GUID)).
        func shouldAllowUpgrade(upgradeResponse: HTTPResponseHead) -> Bool {
            let accept = upgradeResponse.headers["Sec-WebSocket-Accept"]
            let digest = Insecure.SHA1.hash(data: Array((key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").utf8))
            return accept.count == 1 && accept[0] == Data(digest).base64EncodedString()
        }

        func upgrade(channel: any Channel, upgradeResponse: HTTPResponseHead) -> EventLoopFuture<Upgrade> {
            channel.eventLoop.makeCompletedFuture {
                try channel.pipeline.syncOperations.addHandler(WordwiseMaskingEncoder())
                try channel.pipeline.syncOperations.addHandler(
                    ByteToMessageHandler(WebSocketFrameDecoder(maxFrameSize: maxFrameSize))
                )
                try channel.pipeline.syncOperations.addHandler(WebSocketProtocolErrorHandler(isServer: false))
                return .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel))
            }
        }
    }
}
