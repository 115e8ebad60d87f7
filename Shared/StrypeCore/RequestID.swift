/// Request ids as carried in `X-Request-Id`: accepted when short and plain, otherwise replaced by a fresh one.
public enum RequestID {
    /// The header that carries the id through the gateway, the services and their outgoing calls.
    public static let headerName = "X-Request-Id"

    /// A fresh random id: 128 bits as 32 lower-case hex digits.
    public static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        let high = generator.next() as UInt64
        let low = generator.next() as UInt64
        return hex(high) + hex(low)
    }

    /// The incoming id if it is safe to log and forward (1–128 of `A-Z a-z 0-9 . _ -`), else nil.
    public static func sanitized(_ candidate: String?) -> String? {
        guard let candidate, !candidate.isEmpty, candidate.utf8.count <= 128 else { return nil }
        let allowed = candidate.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2E || byte == 0x5F || byte == 0x2D
        }
        return allowed ? candidate : nil
    }

    private static func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}
