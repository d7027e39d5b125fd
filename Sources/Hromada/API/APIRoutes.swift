import Foundation
import Postgres
import Hummingbird

/// The JSON API under `/api/v1`: sign-in for API clients and the platform's shared resources.
/// Modules add their own routes under `/api/v1/{community}/…`.
struct APIRoutes {
    let services: AppServices

    struct SignInRequest: Decodable {
        var email: String
        var password: String
    }

    struct SessionResponse: Encodable {
        var token: String
        var tokenType = "Bearer"
        var expiresAt: Date
    }

    struct CommunitySummary: Encodable {
        var slug: String
        var nameUk: String
        var nameEn: String
    }

    struct CommunityDetail: Encodable {
        struct DepartmentJSON: Encodable {
            var id: Int
            var slug: String
            var nameUk: String
            var nameEn: String
        }
        var slug: String
        var nameUk: String
        var nameEn: String
        var settings: CommunitySettings
        var departments: [DepartmentJSON]
        var holidays: [CalendarDay]
    }

    struct MeResponse: Encodable {
        struct Membership: Encodable {
            var community: String
            var roles: [Role]
            var verified: Bool
            var age: Int?
            var resident: Bool?
        }
        var id: Int
        var email: String
        var fullName: String
        var communities: [Membership]
    }

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("/api/v1")
        api.post("/session") { request, context in
            let body = try await JSONResponse.decode(SignInRequest.self, from: request)
            let person = try await services.signIn(email: body.email, password: body.password, ip: context.clientIP,
                                                   deviceToken: request.cookies[KnownDevices.cookieName]?.value)
            let session = try await services.sessions.create(personID: person.id, kind: .api, ip: context.clientIP, userAgent: request.headers[.userAgent])
            var response = try JSONResponse.make(SessionResponse(token: session.token, expiresAt: session.expiresAt), status: .created)
            response.setCookie(services.knownDeviceCookie(for: person))
            return response
        }
        api.delete("/session") { _, context in
            guard context.authenticatedByBearer, let viewer = context.viewer else { throw AppError.signInRequired }
            try await services.sessions.delete(tokenHash: viewer.sessionTokenHash)
            return Response(status: .noContent)
        }
        api.get("/me") { _, context in
            let viewer = try context.requireViewer()
            let today = services.todayInKyiv
            let memberships = try await services.memberships(of: viewer).map { membership in
                MeResponse.Membership(
                    community: membership.community.slug, roles: membership.roles, verified: membership.identity != nil,
                    age: membership.identity?.age(on: today), resident: membership.identity?.isResident)
            }
            return try JSONResponse.make(MeResponse(
                id: viewer.person.id, email: viewer.person.email, fullName: viewer.person.fullName, communities: memberships))
        }
        api.get("/communities") { _, _ in
            try JSONResponse.make(try await services.communities.all().map {
                CommunitySummary(slug: $0.slug, nameUk: $0.nameUK, nameEn: $0.nameEN)
            })
        }
        api.get("/openapi.json") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/json"],
                body: .init(byteBuffer: ByteBuffer(bytes: try Data(contentsOf: AppResources.directory.appendingPathComponent("openapi.json")))))
        }
        api.get("/{community}") { _, context in
            let community = try await services.community(context)
            let departments = try await services.communities.departments(of: community.id)
            return try JSONResponse.make(CommunityDetail(
                slug: community.slug, nameUk: community.nameUK, nameEn: community.nameEN, settings: community.settings,
                departments: departments.map { .init(id: $0.id, slug: $0.slug, nameUk: $0.nameUK, nameEn: $0.nameEN) },
                holidays: try await services.communities.holidays(of: community.id)))
        }
    }
}
