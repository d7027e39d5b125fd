/// A person with an account.
public struct Person: Sendable, Equatable, Codable {
    public var id: Int
    public var email: String
    public var fullName: String
    public var language: Language
}

/// The signed-in person of a request, with their role grants in every community.
public struct Viewer: Sendable {
    public var person: Person
    public var grants: [RoleGrant]
    /// The SHA-256 of the session token, which CSRF tokens are bound to.
    public var sessionTokenHash: [UInt8]
    /// Whether the person has followed their e-mail confirmation link. Until then they may read
    /// everything but not write (``EmailConfirmationGate``).
    public var emailConfirmed: Bool = true

    public func can(_ permission: Permission, in communityID: Int) -> Bool {
        AccessPolicy.allows(grants, permission, inCommunity: communityID)
    }

    /// Throws `forbidden` unless the viewer holds `permission` in the community.
    public func require(_ permission: Permission, in communityID: Int) throws {
        guard can(permission, in: communityID) else { throw AppError.forbidden }
    }

    public func roles(in communityID: Int) -> [Role] {
        grants.filter { $0.communityID == communityID }.map(\.role)
    }
}
