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
    /// Record an in-person identity verification (administrative service centre staff).
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

    public init(id: Int, communityID: Int, role: Role, departmentID: Int? = nil) {
        self.id = id
        self.communityID = communityID
        self.role = role
        self.departmentID = departmentID
    }
}

/// Who may do what: a pure function of a person's grants, so it is tested without HTTP.
public enum AccessPolicy {
    public static func roles(granting permission: Permission) -> Set<Role> {
        switch permission {
        case .administer: [.administrator]
        case .verifyIdentities: [.administrator, .departmentHead, .official]
        case .moderate: [.administrator, .moderator]
        case .useOffice: [.administrator, .departmentHead, .official]
        }
    }

    public static func allows(_ grants: [RoleGrant], _ permission: Permission, inCommunity communityID: Int) -> Bool {
        let granting = roles(granting: permission)
        return grants.contains { $0.communityID == communityID && granting.contains($0.role) }
    }
}
