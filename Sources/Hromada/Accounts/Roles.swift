/// Roles are granted per community. Officials and department heads belong to a department.
public enum Role: String, Sendable, CaseIterable, Codable {
    case citizen
    case moderator
    case official
    case departmentHead = "department_head"
    case administrator

    /// Whether a grant of this role names a department.
    public var needsDepartment: Bool { self == .official || self == .departmentHead }

    /// The catalogue key of the role's name.
    public var titleKey: String { "role.\(rawValue)" }
}

/// Things a person may do in a community; each action checks one on the server.
public enum Permission: Sendable, CaseIterable {
    /// Grant and revoke roles, configure the community.
    case administer
    /// Use the administrative service centre's desks: record an in-person identity verification
    /// and an in-person budget vote. Only the centre's own staff hold it.
    case verifyIdentities
    /// Check petitions, reports, comments and projects against the rules.
    case moderate
    /// Work in the officials' workspace.
    case useOffice
}

public struct RoleGrant: Sendable, Equatable, Codable {
    public var id: Int
    public var communityID: Int
    public var role: Role
    public var departmentID: Int?
    /// Whether the grant's department is marked as the community's administrative service centre.
    public var atServiceCentre: Bool

    public init(id: Int, communityID: Int, role: Role, departmentID: Int? = nil, atServiceCentre: Bool = false) {
        self.id = id
        self.communityID = communityID
        self.role = role
        self.departmentID = departmentID
        self.atServiceCentre = atServiceCentre
    }
}

/// Who may do what: a pure function of a person's grants, so it is tested without HTTP.
public enum AccessPolicy {
    /// Whether this one grant gives `permission` in its community. The centre's desks need the
    /// role and the department both: an official or the head of a department marked as the
    /// administrative service centre. An administrator is not desk staff unless also granted so.
    public static func grant(_ grant: RoleGrant, gives permission: Permission) -> Bool {
        switch permission {
        case .administer: grant.role == .administrator
        case .verifyIdentities: grant.role.needsDepartment && grant.atServiceCentre
        case .moderate: grant.role == .administrator || grant.role == .moderator
        case .useOffice: grant.role == .administrator || grant.role.needsDepartment
        }
    }

    public static func allows(_ grants: [RoleGrant], _ permission: Permission, inCommunity communityID: Int) -> Bool {
        grants.contains { $0.communityID == communityID && grant($0, gives: permission) }
    }
}
