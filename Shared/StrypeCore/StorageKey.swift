/// The keys objects are stored under, on providers and on agents' disks: 1–512 bytes of `A-Z a-z 0-9 - _ . /`
/// without empty, `.` or `..` segments and without a leading slash. Shard keys fit easily; nothing that could
/// leave a directory does.
public enum StorageKey {
    public static let maximumBytes = 512

    /// Why `key` is not acceptable, or nil when it is.
    public static func problem(with key: String) -> String? {
        guard !key.isEmpty, key.utf8.count <= maximumBytes else { return "must be 1 to \(maximumBytes) bytes" }
        let allowed = key.utf8.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
                || byte == 0x2D || byte == 0x5F || byte == 0x2E || byte == 0x2F
        }
        guard allowed else { return "only letters, digits, - _ . / are allowed" }
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            guard !segment.isEmpty, segment != ".", segment != ".." else { return "no empty, . or .. path segments" }
        }
        return nil
    }
}
