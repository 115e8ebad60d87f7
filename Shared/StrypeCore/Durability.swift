/// How a chunk survives lost backends (DESIGN §3 chunk): `raid1(N)` keeps N full copies, `rs(K,M)` K data and M
/// parity shards of which any K rebuild the chunk; `none` is `raid1(1)`. Each shard lives on a distinct backend.
public enum DurabilitySpec: Hashable, Sendable, CustomStringConvertible {
    case replicas(Int)
    case erasure(data: Int, parity: Int)

    /// The forms a client may send, for error messages.
    public static let forms = "none, raid1(N) with 1 ≤ N ≤ 8, rs(K,M) with 1 ≤ K ≤ 16 and 1 ≤ M ≤ 8"

    /// Parses the grammar exactly: lower-case, no spaces, numbers without sign or leading zeros.
    public init?(_ text: String) {
        if text == "none" {
            self = .replicas(1)
            return
        }
        if let arguments = Self.arguments(text, name: "raid1"), arguments.count == 1, (1...8).contains(arguments[0]) {
            self = .replicas(arguments[0])
            return
        }
        if let arguments = Self.arguments(text, name: "rs"), arguments.count == 2, (1...16).contains(arguments[0]),
            (1...8).contains(arguments[1])
        {
            self = .erasure(data: arguments[0], parity: arguments[1])
            return
        }
        return nil
    }

    /// The canonical text: `raid1(N)` or `rs(K,M)`.
    public var description: String {
        switch self {
        case .replicas(let count): "raid1(\(count))"
        case .erasure(let data, let parity): "rs(\(data),\(parity))"
        }
    }

    /// Shards written, one per backend.
    public var shardCount: Int {
        switch self {
        case .replicas(let count): count
        case .erasure(let data, let parity): data + parity
        }
    }

    /// Shards needed to read the chunk back.
    public var shardsNeeded: Int {
        switch self {
        case .replicas: 1
        case .erasure(let data, _): data
        }
    }

    private static func arguments(_ text: String, name: String) -> [Int]? {
        guard text.hasPrefix(name + "("), text.hasSuffix(")"), text.utf8.count <= 32 else { return nil }
        let inner = text.dropFirst(name.count + 1).dropLast()
        var numbers: [Int] = []
        for part in inner.split(separator: ",", omittingEmptySubsequences: false) {
            guard !part.isEmpty, part.utf8.count <= 2, part.allSatisfy(\.isASCII), part.allSatisfy(\.isNumber),
                part.first != "0", let value = Int(part)
            else { return nil }
            numbers.append(value)
        }
        return numbers
    }
}

/// How a chunk is encrypted before it is cut into shards: `aes256-gcm` (default) or `none`.
public enum EncryptionSpec: String, Sendable, CaseIterable {
    case aes256gcm = "aes256-gcm"
    case none
}

/// Chunk ids: random 128-bit, 32 lower-case hex digits.
public enum ChunkID {
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    public static func isValid(_ text: String) -> Bool {
        text.utf8.count == 32 && text.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
