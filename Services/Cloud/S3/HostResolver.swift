#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Every address a host name resolves to (`getaddrinfo`, TCP), so each can be checked before one is connected to.
/// Numeric hosts in any spelling the C library takes (`127.1`, `0x7f.1`, `2130706433`, `::ffff:127.0.0.1`) come
/// back as the address they denote.
enum HostResolver {
    /// The host did not resolve; the C library's reason stays in the log, never in an answer.
    struct Failure: Error, CustomStringConvertible {
        let status: Int32
        var description: String { "getaddrinfo failed (\(status))" }
    }

    /// Blocks while the name is looked up: call it on a thread pool.
    static func resolve(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if canImport(Glibc)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else { throw Failure(status: status) }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let info = next {
            if let socketAddress = info.pointee.ai_addr {
                let raw = UnsafeRawPointer(socketAddress)
                if info.pointee.ai_family == AF_INET {
                    let address = raw.loadUnaligned(as: sockaddr_in.self).sin_addr
                    if let ip = IPAddress(bytes: withUnsafeBytes(of: address) { Array($0) }) { addresses.append(ip) }
                } else if info.pointee.ai_family == AF_INET6 {
                    let address = raw.loadUnaligned(as: sockaddr_in6.self).sin6_addr
                    if let ip = IPAddress(bytes: withUnsafeBytes(of: address) { Array($0) }) { addresses.append(ip) }
                }
            }
            next = info.pointee.ai_next
        }
        guard !addresses.isEmpty else { throw Failure(status: 0) }
        var unique: [IPAddress] = []
        for address in addresses where !unique.contains(address) { unique.append(address) }
        return unique
    }
}
