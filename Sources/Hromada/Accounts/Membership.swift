/// A person's standing in one community: their roles and their verified identity, if any.
struct Membership {
    var community: Community
    var roles: [Role]
    var identity: VerifiedIdentity?
}

extension AppServices {
    /// The communities where the viewer holds a role or is verified, in two queries whatever the
    /// number of communities; the account page and `/api/v1/me` both show them.
    func memberships(of viewer: Viewer) async throws -> [Membership] {
        let identities = try await verifications.identities(of: viewer.person.id)
        return try await communities.all().compactMap { community in
            let roles = viewer.roles(in: community.id)
            let identity = identities[community.id]
            guard !roles.isEmpty || identity != nil else { return nil }
            return Membership(community: community, roles: roles, identity: identity)
        }
    }
}
