import Foundation
import StrypeCore
import Testing

/// A type whose names cover each word rule of the wire coder.
struct WireNames: Codable, Equatable {
    var parentID: UUID
    var partSHA256: String
    var memberIDs: [Int]
    var endpointURL: String
    var lastUsedAt: Date
    var attrs: [String: String]
    var size: Int64
}

@Suite("wire JSON")
struct WireJSONTests {
    static let value = WireNames(
        parentID: UUID(uuidString: "6F9619FF-8B86-D011-B42D-00C04FC964FF")!,
        partSHA256: "ab",
        memberIDs: [1, 2],
        endpointURL: "https://example.com/a",
        lastUsedAt: Date(timeIntervalSince1970: 1_700_000_000),
        attrs: ["camelKey": "kept", "snake_key": "kept too"],
        size: 7
    )

    @Test("Swift names become snake_case keys; dictionary keys and slashes pass unchanged")
    func encodes() throws {
        let text = String(decoding: try WireJSON.encode(Self.value), as: UTF8.self)
        #expect(
            text == #"{"attrs":{"camelKey":"kept","snake_key":"kept too"},"endpoint_url":"https://example.com/a","#
                + #""last_used_at":"2023-11-14T22:13:20Z","member_ids":[1,2],"parent_id":"#
                + #""6F9619FF-8B86-D011-B42D-00C04FC964FF","part_sha256":"ab","size":7}"#
        )
    }

    @Test("what it writes reads back, and a camelCase key is not a field")
    func decodes() throws {
        let decoded = try WireJSON.decode(WireNames.self, from: try WireJSON.encode(Self.value))
        #expect(decoded == Self.value)
        let camel =
            #"{"parentID":"6F9619FF-8B86-D011-B42D-00C04FC964FF","partSHA256":"ab","memberIDs":[],"#
            + #""endpointURL":"x","lastUsedAt":"2023-11-14T22:13:20Z","attrs":{},"size":1}"#
        #expect(throws: DecodingError.self) { try WireJSON.decode(WireNames.self, from: Data(camel.utf8)) }
        let text = String(decoding: try WireJSON.encode(Self.value), as: UTF8.self)
        for misspelt in ["parent__id", "parent_i_d", "parent_id_", "_parent_id"] {
            let other = text.replacingOccurrences(of: "\"parent_id\"", with: "\"\(misspelt)\"")
            #expect(throws: DecodingError.self) { try WireJSON.decode(WireNames.self, from: Data(other.utf8)) }
        }
    }
}
