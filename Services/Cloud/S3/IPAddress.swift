#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 (4 bytes) or IPv6 (16 bytes) address in network order, and what kind of network it belongs to.
struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    let bytes: [UInt8]

    init?(bytes: [UInt8]) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        self.bytes = bytes
    }

    /// The strict text forms only (what `inet_pton` takes): dotted-quad IPv4 or IPv6, without brackets or zone.
    /// Legacy spellings like `127.1` or `0x7f.1` are names to this parser; resolving them gives their address.
    init?(_ text: String) {
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: v4) { Array($0) }
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: v6) { Array($0) }
            return
        }
        return nil
    }

    var isIPv6: Bool { bytes.count == 16 }

    /// The canonical text form (`inet_ntop`).
    var description: String {
        var buffer = [CChar](repeating: 0, count: 64)
        let family = isIPv6 ? AF_INET6 : AF_INET
        return bytes.withUnsafeBytes { raw in
            buffer.withUnsafeMutableBufferPointer { out -> String in
                guard let text = inet_ntop(family, raw.baseAddress, out.baseAddress, socklen_t(out.count)) else {
                    return "?"
                }
                return String(cString: text)
            }
        }
    }

    /// The address as a URL's host: IPv6 in brackets.
    var urlHost: String { isIPv6 ? "[\(description)]" : description }

    /// The network the address belongs to. IPv4 inside IPv6 (mapped `::ffff:a.b.c.d`, translated, NAT64, 6to4) is
    /// judged by the IPv4 address it carries.
    var kind: AddressKind {
        isIPv6 ? Self.kindOfIPv6(bytes) : Self.kindOfIPv4(bytes[0], bytes[1], bytes[2], bytes[3])
    }

    private static func kindOfIPv4(_ a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8) -> AddressKind {
        switch a {
        case 0: return (b, c, d) == (0, 0, 0) ? .unspecified : .reserved
        case 10: return .privateNetwork
        case 100 where b & 0xC0 == 64: return .sharedAddressSpace
        case 127: return .loopback
        case 169 where b == 254: return .linkLocal
        case 172 where b & 0xF0 == 16: return .privateNetwork
        case 192 where b == 168: return .privateNetwork
        // IETF protocol assignments (192.0.0.0/24) and benchmarking (198.18.0.0/15): never a provider.
        case 192 where b == 0 && c == 0: return .reserved
        case 198 where b & 0xFE == 18: return .reserved
        case 224...239: return .multicast
        case 240...255: return .reserved
        default: return .publicAddress
        }
    }

    private static func kindOfIPv6(_ b: [UInt8]) -> AddressKind {
        let zeros = { (range: Range<Int>) in b[range].allSatisfy { $0 == 0 } }
        let embedded = { (at: Int) in kindOfIPv4(b[at], b[at + 1], b[at + 2], b[at + 3]) }
        // ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (translated) reach the IPv4 address itself.
        if zeros(0..<10), b[10] == 0xFF, b[11] == 0xFF { return embedded(12) }
        if zeros(0..<8), b[8] == 0xFF, b[9] == 0xFF, zeros(10..<12) { return embedded(12) }
        if zeros(0..<15) { return b[15] == 0 ? .unspecified : (b[15] == 1 ? .loopback : .reserved) }
        // ::a.b.c.d, the deprecated IPv4-compatible form.
        if zeros(0..<12) { return .reserved }
        // 64:ff9b::/96, NAT64 to the IPv4 address it carries.
        if b[0] == 0x00, b[1] == 0x64, b[2] == 0xFF, b[3] == 0x9B, zeros(4..<12) { return embedded(12) }
        if b[0] == 0xFF { return .multicast }
        if b[0] == 0xFE, b[1] & 0xC0 == 0x80 { return .linkLocal }
        // fec0::/10 (deprecated site-local) and fc00::/7 (unique local) are private networks.
        if b[0] == 0xFE, b[1] & 0xC0 == 0xC0 { return .privateNetwork }
        if b[0] & 0xFE == 0xFC { return .privateNetwork }
        // Only 2000::/3 is global unicast; within it, 6to4 (2002::/16) carries an IPv4 address, and Teredo
        // (2001::/32) and documentation (2001:db8::/32) are never a provider.
        guard b[0] & 0xE0 == 0x20 else { return .reserved }
        if b[0] == 0x20, b[1] == 0x02 {
            let inner = embedded(2)
            return inner == .publicAddress ? .publicAddress : inner
        }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x00, b[3] == 0x00 { return .reserved }
        if b[0] == 0x20, b[1] == 0x01, b[2] == 0x0D, b[3] == 0xB8 { return .reserved }
        return .publicAddress
    }
}

/// The kinds of network an address can belong to; cloud connects on its own only to `publicAddress`.
enum AddressKind: String, Sendable, Equatable {
    case publicAddress = "public"
    case loopback
    case linkLocal = "link-local"
    case privateNetwork = "private"
    case unspecified
    case sharedAddressSpace = "shared address space"
    case multicast
    case reserved
}
