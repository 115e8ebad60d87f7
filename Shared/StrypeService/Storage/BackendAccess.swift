import Foundation
import StrypeCore

/// The access rule of the storage users link, cloud accounts and array members alike: services use any; a user uses
/// their own and the shared ones, and on a shared one they do not own their objects live under a namespace of their
/// own, so users can never reach each other's objects there.
package enum BackendAccess {
    /// Whether `principal` may use a backend of `ownerID` (`shared` with every user or not).
    package static func mayUse(ownerID: UUID, shared: Bool, by principal: Principal) -> Bool {
        principal.isService || shared || ownerID == principal.userID
    }

    /// The key `principal`'s object `key` is stored under on a backend of `ownerID`.
    package static func storedKey(_ key: String, ownerID: UUID, for principal: Principal) throws -> String {
        if principal.isService || ownerID == principal.userID { return key }
        guard let user = principal.userID else { throw APIError.forbidden("no user in this token") }
        return "users/\(user.uuidString.lowercased())/\(key)"
    }
}
