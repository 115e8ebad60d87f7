import CHiredis
import Foundation

/// One blocking hiredis connection. Every call blocks its thread, so it is only used from the Redis thread pool;
/// the lock keeps two threads from ever using the context at once.
package final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    private let lock = NSLock()

    /// Connects, authenticates and selects the database named by `url`.
    package init(url: ConnectionURL, timeout: Duration) throws {
        let host = url.host
        let port = Int32(url.port ?? 6379)
        guard let context = redisConnectWithTimeout(host, port, Self.timeval(timeout)) else {
            throw RedisError.connection("out of memory")
        }
        guard context.pointee.err == 0 else {
            let message = Self.errorText(context)
            redisFree(context)
            throw RedisError.connection("\(host):\(port): \(message)")
        }
        self.context = context
        redisSetTimeout(context, Self.timeval(timeout))
        if let password = url.password {
            let reply = try command(url.user.map { ["AUTH", $0, password] } ?? ["AUTH", password])
            if case .error(let message) = reply { throw RedisError.server(message) }
        }
        if let database = Int(url.path), database != 0 {
            let reply = try command(["SELECT", String(database)])
            if case .error(let message) = reply { throw RedisError.server(message) }
        }
    }

    deinit {
        redisFree(context)
    }

    /// True once the connection had an I/O or protocol error; it must then be thrown away.
    package var isBroken: Bool {
        lock.withLock { context.pointee.err != 0 }
    }

    /// True when the server closed the idle connection (for example after a restart), seen without blocking.
    package var peerClosed: Bool {
        lock.withLock {
            var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
            // An idle request/response connection has nothing to read unless the peer hung up.
            return poll(&descriptor, 1, 0) != 0
        }
    }

    /// Sends one command with binary-safe arguments and waits for its reply.
    package func command(_ arguments: [String]) throws -> RedisValue {
        try command(arguments.map { Array($0.utf8) })
    }

    /// Sends one command with byte arguments and waits for its reply.
    package func command(_ arguments: [[UInt8]]) throws -> RedisValue {
        try lock.withLock {
            let reply = Self.withArgv(arguments) { argc, argv, lengths in
                redisCommandArgv(context, argc, argv, lengths)
            }
            guard let reply else { throw RedisError.connection(Self.errorText(context)) }
            defer { freeReplyObject(reply) }
            return Self.decode(reply.assumingMemoryBound(to: redisReply.self))
        }
    }

    /// Sends a command without waiting for a reply (used by the subscriber).
    package func append(_ arguments: [String]) throws {
        try lock.withLock {
            let status = Self.withArgv(arguments.map { Array($0.utf8) }) { argc, argv, lengths in
                redisAppendCommandArgv(context, argc, argv, lengths)
            }
            var done: Int32 = 0
            guard status == REDIS_OK else { throw RedisError.connection(Self.errorText(context)) }
            while done == 0 {
                guard redisBufferWrite(context, &done) == REDIS_OK else {
                    throw RedisError.connection(Self.errorText(context))
                }
            }
        }
    }

    /// Waits up to `timeoutMilliseconds` for the next pushed reply; nil when none arrived in time.
    package func nextReply(timeoutMilliseconds: Int32) throws -> RedisValue? {
        try lock.withLock {
            if let value = try bufferedReply() { return value }
            var descriptor = pollfd(fd: context.pointee.fd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, timeoutMilliseconds)
            if ready < 0 && errno != EINTR { throw RedisError.connection("poll failed: errno \(errno)") }
            guard ready > 0 else { return nil }
            guard redisBufferRead(context) == REDIS_OK else { throw RedisError.connection(Self.errorText(context)) }
            return try bufferedReply()
        }
    }

    private func bufferedReply() throws -> RedisValue? {
        var reply: UnsafeMutableRawPointer?
        guard redisGetReplyFromReader(context, &reply) == REDIS_OK else {
            throw RedisError.connection(Self.errorText(context))
        }
        guard let reply else { return nil }
        defer { freeReplyObject(reply) }
        return Self.decode(reply.assumingMemoryBound(to: redisReply.self))
    }

    private static func withArgv<T>(
        _ arguments: [[UInt8]],
        _ body: (Int32, UnsafeMutablePointer<UnsafePointer<CChar>?>, UnsafePointer<Int>) -> T
    ) -> T {
        let buffers = arguments.map { bytes -> UnsafeMutablePointer<CChar> in
            let pointer = UnsafeMutablePointer<CChar>.allocate(capacity: max(bytes.count, 1))
            bytes.withUnsafeBufferPointer { source in
                source.withMemoryRebound(to: CChar.self) { chars in
                    if let base = chars.baseAddress { pointer.initialize(from: base, count: bytes.count) }
                }
            }
            return pointer
        }
        defer { buffers.forEach { $0.deallocate() } }
        var argv: [UnsafePointer<CChar>?] = buffers.map { UnsafePointer($0) }
        let lengths = arguments.map(\.count)
        return argv.withUnsafeMutableBufferPointer { argvBuffer in
            lengths.withUnsafeBufferPointer { lengthBuffer in
                body(Int32(arguments.count), argvBuffer.baseAddress!, lengthBuffer.baseAddress!)
            }
        }
    }

    private static func decode(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let value = reply.pointee
        switch Int32(value.type) {
        case REDIS_REPLY_STRING:
            return .bulk(bytes(value.str, value.len))
        case REDIS_REPLY_STATUS:
            return .status(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_ERROR:
            return .error(String(decoding: bytes(value.str, value.len), as: UTF8.self))
        case REDIS_REPLY_INTEGER:
            return .integer(Int(value.integer))
        case REDIS_REPLY_ARRAY:
            var elements: [RedisValue] = []
            elements.reserveCapacity(Int(value.elements))
            for index in 0..<Int(value.elements) {
                if let element = value.element[index] {
                    elements.append(decode(element))
                } else {
                    elements.append(.null)
                }
            }
            return .array(elements)
        default:
            return .null
        }
    }

    private static func bytes(_ pointer: UnsafeMutablePointer<CChar>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            Array(UnsafeBufferPointer(start: $0, count: length))
        }
    }

    private static func errorText(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let text = raw.prefix { $0 != 0 }
            let message = String(decoding: text, as: UTF8.self)
            return message.isEmpty ? "connection lost" : message
        }
    }

    private static func timeval(_ duration: Duration) -> timeval {
        let components = duration.components
        return Foundation.timeval(
            tv_sec: Int(components.seconds),
            tv_usec: Int(components.attoseconds / 1_000_000_000_000)
        )
    }
}
