import Foundation
import StrypeService
import Testing

@testable import FilesystemService

/// Listing cursors: what `next` hands out comes back as the same position, and anything else a client sends is a
/// 400, never a position this server did not make.
@Suite("Listing cursors and page sizes")
struct ListCursorTests {
    @Test("a cursor round-trips through its token, for folders, files and any valid name")
    func roundTrip() throws {
        let names = [
            "a", "Z z", "report (final).pdf", "é", "日本語のファイル名", "😀", "~?>+= ÿ", String(repeating: "x", count: 255),
        ]
        for name in names {
            for isFile in [false, true] {
                let cursor = ListCursor(isFile: isFile, name: name)
                let token = cursor.token
                #expect(!token.contains("+") && !token.contains("/") && !token.contains("="), "\(token)")
                #expect(ListCursor(token: token) == cursor, "\(name)")
            }
        }
        #expect(ListCursor(token: ListCursor.start.token) == ListCursor.start)
    }

    @Test("tokens this server did not make are refused")
    func foreign() {
        let made = { (text: String) in
            Data(text.utf8).base64EncodedString().replacingOccurrences(of: "=", with: "")
        }
        for token in [
            "", "!!!", "a", made("x/name"), made("d/a/b"), made("f/.."), made("d/."), made("f/a\u{0}b"),
            made("f/" + String(repeating: "x", count: 256)), String(repeating: "A", count: 1000),
        ] {
            #expect(ListCursor(token: token) == nil, "\(token)")
        }
    }

    @Test("limit is 1 to 1000 (default 1000); a bad cursor or limit is a 400 naming the field")
    func page() throws {
        #expect(try ListCursor.page(cursor: nil, limit: nil).limit == 1000)
        #expect(try ListCursor.page(cursor: nil, limit: "1").limit == 1)
        let cursor = ListCursor(isFile: true, name: "b.txt")
        #expect(try ListCursor.page(cursor: cursor.token, limit: "1000").after == cursor)
        for limit in ["0", "1001", "-1", "ten", ""] {
            #expect(throws: APIError.self) { try ListCursor.page(cursor: nil, limit: limit) }
            do {
                _ = try ListCursor.page(cursor: nil, limit: limit)
            } catch let error as APIError {
                #expect(error.status == .badRequest && error.field == "limit")
            } catch {
                Issue.record("\(error)")
            }
        }
        do {
            _ = try ListCursor.page(cursor: "not a cursor", limit: nil)
            Issue.record("a foreign cursor was accepted")
        } catch let error as APIError {
            #expect(error.status == .badRequest && error.field == "cursor")
        }
    }
}
