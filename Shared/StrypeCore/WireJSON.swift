import Foundation

/// The JSON every service, client and agent speaks: Swift's camelCase names as snake_case keys (`parentID` is
/// `parent_id`, `partSHA256` is `part_sha256`), ISO 8601 dates, sorted keys, slashes unescaped.
///
/// Wire types write no `CodingKeys` of their own for this; a key that is not its property's name in snake case is
/// the only reason for one. Dictionary keys (a file's `attrs`) are data, and pass unchanged both ways.
public enum WireJSON {
    /// The encoder, shared: it is not changed after it is made.
    public static let encoder = makeEncoder([.sortedKeys, .withoutEscapingSlashes])

    /// The same keys indented, for files people read (the agent's configuration).
    public static let readableEncoder = makeEncoder([.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])

    /// The decoder, shared likewise.
    public static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .custom { path in
            WireKey(stringValue: camelCase(path[path.count - 1].stringValue))
        }
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func makeEncoder(_ formatting: JSONEncoder.OutputFormatting) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .custom { path in
            WireKey(stringValue: snakeCase(path[path.count - 1].stringValue))
        }
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = formatting
        return encoder
    }

    /// `value` as wire JSON.
    public static func encode(_ value: some Encodable) throws -> Data {
        try encoder.encode(value)
    }

    /// A `T` from wire JSON.
    public static func decode<T: Decodable>(_ type: T.Type, from bytes: some DataProtocol) throws -> T {
        try decoder.decode(T.self, from: bytes as? Data ?? Data(bytes))
    }

    /// Words that are written in capitals in a Swift name (`memberID`, `endpointURL`) and in lower case on the wire.
    static let acronyms: Set<String> = ["id", "url", "uri", "sha256", "tls", "ip"]

    /// `parentID` → `parent_id`: a word starts at a capital after a small letter or digit, and at the last capital of
    /// a run of them that a small letter follows (`URLPath` → `url_path`), unless that letter is a plural's `s`
    /// (`memberIDs` → `member_ids`). Swift names here are ASCII.
    static func snakeCase(_ name: String) -> String {
        let bytes = Array(name.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count + 4)
        func isUpper(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= 65 && bytes[at] <= 90 }
        func isLower(_ at: Int) -> Bool { at < bytes.count && bytes[at] >= 97 && bytes[at] <= 122 }
        for (index, byte) in bytes.enumerated() {
            if isUpper(index), index > 0 {
                let plural = bytes.indices.contains(index + 1) && bytes[index + 1] == 115 && !isLower(index + 2)
                if !isUpper(index - 1) || (isLower(index + 1) && !plural) { result.append(95) }
            }
            result.append(isUpper(index) ? byte + 32 : byte)
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// `parent_id` → `parentID`, the inverse of ``snakeCase(_:)`` for names whose acronyms are in ``acronyms``.
    /// A key with a capital, or spelled otherwise than the encoder writes it, names no field (`parentID` and
    /// `parent__id` are not `parent_id`), as when each type listed its keys.
    static func camelCase(_ key: String) -> String {
        if key.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) { return "\u{1}" + key }
        guard key.contains("_") else { return key }
        let words = key.split(separator: "_", omittingEmptySubsequences: false)
        var result = String(words[0])
        for word in words.dropFirst() {
            if acronyms.contains(String(word)) {
                result += word.uppercased()
            } else if word.hasSuffix("s"), acronyms.contains(String(word.dropLast())) {
                result += word.dropLast().uppercased() + "s"
            } else {
                result += word.prefix(1).uppercased() + word.dropFirst()
            }
        }
        // Only the one spelling the encoder writes names the field (`parent__id`, `parent_i_d` do not).
        return snakeCase(result) == key ? result : "\u{1}" + key
    }
}

/// A coding key made from a string, for the key strategies above.
struct WireKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }

    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}
