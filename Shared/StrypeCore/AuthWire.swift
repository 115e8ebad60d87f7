import Foundation

/// `POST /register`: `setup_token` only for the first admin (`ADMIN_EMAIL`), `invitation` when registration is by
/// invitation.
public struct RegisterRequest: Codable, Sendable {
    public var email: String
    public var password: String
    public var name: String
    public var setupToken: String?
    public var invitation: String?

    public init(email: String, password: String, name: String, setupToken: String? = nil, invitation: String? = nil) {
        self.email = email
        self.password = password
        self.name = name
        self.setupToken = setupToken
        self.invitation = invitation
    }
}

/// `POST /login`.
public struct LoginRequest: Codable, Sendable {
    public var email: String
    public var password: String

    public init(email: String, password: String) {
        self.email = email
        self.password = password
    }
}

/// `POST /refresh` and `POST /logout`.
public struct RefreshRequest: Codable, Sendable {
    public var refreshToken: String?

    public init(refreshToken: String?) {
        self.refreshToken = refreshToken
    }
}

/// `{access_token, refresh_token?, token_type, expires_in}` from login, refresh and service-token.
public struct TokenPair: Codable, Sendable, Equatable {
    public var accessToken: String
    public var refreshToken: String?
    public var tokenType: String
    public var expiresIn: Int

    public init(accessToken: String, refreshToken: String?, expiresIn: Int) {
        self.accessToken = accessToken
        self.refreshToken = refreshToken
        self.tokenType = "Bearer"
        self.expiresIn = expiresIn
    }
}

/// A user as the API shows it; never the password hash.
public struct UserResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var email: String
    public var name: String
    public var roles: [String]
    public var disabled: Bool
    public var groups: [GroupSummary]?
    public var createdAt: Date

    public init(
        id: UUID,
        email: String,
        name: String,
        roles: [String],
        disabled: Bool,
        groups: [GroupSummary]?,
        createdAt: Date
    ) {
        self.id = id
        self.email = email
        self.name = name
        self.roles = roles
        self.disabled = disabled
        self.groups = groups
        self.createdAt = createdAt
    }
}

/// `PATCH /me`: a new name, or a new password with the current one (and, with `sign_out_agents`, the end of every
/// agent token too).
public struct UpdateMeRequest: Codable, Sendable {
    public var name: String?
    public var password: String?
    public var currentPassword: String?
    public var signOutAgents: Bool?

    public init(
        name: String? = nil,
        password: String? = nil,
        currentPassword: String? = nil,
        signOutAgents: Bool? = nil
    ) {
        self.name = name
        self.password = password
        self.currentPassword = currentPassword
        self.signOutAgents = signOutAgents
    }
}

/// `POST /logout-all`: end every session of the caller, and with `agents` every agent token too.
public struct LogoutAllRequest: Codable, Sendable {
    public var agents: Bool?

    public init(agents: Bool? = nil) {
        self.agents = agents
    }
}

/// `POST /invitations` (admin): an invitation for `email` (anyone when absent), valid `expires_in_hours`.
public struct CreateInvitationRequest: Codable, Sendable {
    public var email: String?
    public var expiresInHours: Int?

    public init(email: String? = nil, expiresInHours: Int? = nil) {
        self.email = email
        self.expiresInHours = expiresInHours
    }
}

/// An invitation as listed; `token` only in the answer that creates it.
public struct InvitationResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var token: String?
    public var email: String?
    public var expires: Date
    public var createdAt: Date
    public var usedAt: Date?

    public init(id: UUID, token: String?, email: String?, expires: Date, createdAt: Date, usedAt: Date?) {
        self.id = id
        self.token = token
        self.email = email
        self.expires = expires
        self.createdAt = createdAt
        self.usedAt = usedAt
    }
}

/// `POST /users` (admin).
public struct CreateUserRequest: Codable, Sendable {
    public var email: String
    public var password: String
    public var name: String
    public var roles: [String]?

    public init(email: String, password: String, name: String, roles: [String]? = nil) {
        self.email = email
        self.password = password
        self.name = name
        self.roles = roles
    }
}

/// `PATCH /users/{id}` (admin).
public struct UpdateUserRequest: Codable, Sendable {
    public var name: String?
    public var roles: [String]?
    public var disabled: Bool?

    public init(name: String? = nil, roles: [String]? = nil, disabled: Bool? = nil) {
        self.name = name
        self.roles = roles
        self.disabled = disabled
    }
}

/// A page of a list.
public struct Page<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]
    public var total: Int
    public var limit: Int
    public var offset: Int

    public init(items: [Item], total: Int, limit: Int, offset: Int) {
        self.items = items
        self.total = total
        self.limit = limit
        self.offset = offset
    }
}

/// A list answered as `{"items":[...]}`, so lists can grow fields later.
public struct Items<Item: Codable & Sendable>: Codable, Sendable {
    public var items: [Item]

    public init(_ items: [Item]) {
        self.items = items
    }
}

/// A group by id and name.
public struct GroupSummary: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String

    public init(id: UUID, name: String) {
        self.id = id
        self.name = name
    }
}

/// A group with its members.
public struct GroupResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var members: [UUID]
    public var createdAt: Date

    public init(id: UUID, name: String, members: [UUID], createdAt: Date) {
        self.id = id
        self.name = name
        self.members = members
        self.createdAt = createdAt
    }
}

/// `POST /groups` and `POST /agents`.
public struct NameRequest: Codable, Sendable {
    public var name: String

    public init(name: String) {
        self.name = name
    }
}

/// An agent token as listed; `token` only in the answer to its creation.
public struct AgentTokenResponse: Codable, Sendable, Equatable {
    public var id: UUID
    public var name: String
    public var scope: String
    public var token: String?
    public var createdAt: Date
    public var lastUsedAt: Date?

    public init(id: UUID, name: String, scope: String, token: String?, createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.name = name
        self.scope = scope
        self.token = token
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// `POST /validate`.
public struct ValidateRequest: Codable, Sendable {
    public var token: String

    public init(token: String) {
        self.token = token
    }
}

/// The claims of a valid token, as `POST /validate` answers them.
public struct ValidatedToken: Codable, Sendable, Equatable {
    public var sub: String
    public var email: String?
    public var roles: [String]
    public var scope: String
    public var exp: Int?
    public var agentID: UUID?
    public var agentName: String?

    public init(
        sub: String,
        email: String?,
        roles: [String],
        scope: String,
        exp: Int?,
        agentID: UUID? = nil,
        agentName: String? = nil
    ) {
        self.sub = sub
        self.email = email
        self.roles = roles
        self.scope = scope
        self.exp = exp
        self.agentID = agentID
        self.agentName = agentName
    }
}

/// `POST /service-token`.
public struct ServiceTokenRequest: Codable, Sendable {
    public var service: String
    public var secret: String

    public init(service: String, secret: String) {
        self.service = service
        self.secret = secret
    }
}
