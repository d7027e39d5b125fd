import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// Every route of the router, called by every kind of caller: each is allowed or denied as its
/// rule says. A route added without a rule here fails the test, so none can be forgotten.
@Suite struct AuthorizationMatrixTests {
    enum Caller: String, CaseIterable {
        /// `official` and `head` work in the street lighting department; `desk` is an official of the
        /// department marked as the administrative service centre.
        case anonymous, newcomer, citizen, moderator, official, head, desk, admin, otherAdmin
        /// Signed up through the form and not yet confirmed: reads as `newcomer` does, writes nothing
        /// but the account's own requests.
        case unconfirmed
    }

    /// The state-changing routes a person whose address is not confirmed may still use.
    static let unconfirmedMayWrite: Set<String> = [
        "POST /signup", "POST /signin", "POST /api/v1/session", "POST /email/confirm", "POST /email/confirm/resend",
        "POST /password/forgot", "POST /password/reset", "POST /open311/v2/{file}",
    ]

    enum Rule {
        case everyone
        case signedIn
        /// A verified resident of the community.
        case verified
        /// What the permission says, spelled out per caller here (not read from `AccessPolicy`).
        case permission(Permission)
        /// Staff of the document's department (street lighting) and administrators.
        case documentStaff
        /// The appeal's author, its department's staff and administrators.
        case appealReader
        /// Sign-in itself: anyone may try; wrong credentials answer 401, which is not a refusal.
        case authentication
        /// The budget project's author, a demo resident who is none of the callers.
        case projectAuthor
        /// The report's reporter (a demo resident, none of the callers), moderators and administrators.
        case reportReporterOrModerator
        /// Moderators, administrators and officials of any department (who open consultations).
        case consultationStaff
        /// Moderators, administrators and the staff of the consultation's department (street lighting).
        case consultationManagers
        /// Not called: it ends the caller's session (covered by the account tests).
        case skipped
        /// Only the configured addresses or the metrics token, none of the callers (HardeningTests).
        case metricsReaders
    }

    static let rules: [String: Rule] = [
        "GET /": .everyone, "GET /{community}": .everyone, "GET /signup": .everyone, "POST /signup": .everyone,
        "GET /email/confirm": .everyone, "POST /email/confirm": .everyone, "POST /email/confirm/resend": .signedIn,
        "GET /password/forgot": .everyone, "POST /password/forgot": .everyone, "GET /password/reset": .everyone,
        "POST /password/reset": .everyone,
        "GET /signin": .everyone, "POST /signin": .authentication, "POST /signout": .skipped, "GET /account": .signedIn,
        "GET /lang/{code}": .everyone, "GET /healthz": .everyone, "GET /readyz": .everyone, "GET /metrics": .metricsReaders,
        "POST /api/v1/session": .authentication, "DELETE /api/v1/session": .skipped, "GET /api/v1/me": .signedIn,
        "GET /api/v1/communities": .everyone, "GET /api/v1/openapi.json": .everyone, "GET /api/v1/{community}": .everyone,
        "GET /{community}/admin": .permission(.administer), "POST /{community}/admin/roles": .permission(.administer),
        "GET /{community}/admin/limits": .permission(.administer), "POST /{community}/admin/limits": .permission(.administer),
        "POST /{community}/admin/roles/{grant}/revoke": .permission(.administer),
        "POST /{community}/admin/departments/{department}/service-centre": .permission(.administer),
        "GET /{community}/admin/workflow": .permission(.administer), "POST /{community}/admin/holidays": .permission(.administer),
        "POST /{community}/admin/holidays/{day}/delete": .permission(.administer),
        "POST /{community}/admin/routing": .permission(.administer), "GET /{community}/admin/outbox": .permission(.administer),
        "GET /{community}/office/verifications": .permission(.verifyIdentities),
        "POST /{community}/office/verifications": .permission(.verifyIdentities),
        "GET /{community}/office": .permission(.useOffice), "GET /{community}/office/documents/{id}": .documentStaff,
        "POST /{community}/office/documents/{id}/actions": .documentStaff, "GET /{community}/documents/{id}": .everyone,
        "GET /api/v1/{community}/office/documents": .permission(.useOffice),
        "GET /api/v1/{community}/office/documents/{id}": .documentStaff,
        "POST /api/v1/{community}/office/documents/{id}/actions": .documentStaff,
        "GET /api/v1/{community}/documents/{id}": .everyone,
        "GET /{community}/appeals": .everyone, "POST /{community}/appeals": .signedIn, "GET /{community}/appeals/{id}": .appealReader,
        "GET /api/v1/{community}/appeals": .signedIn, "POST /api/v1/{community}/appeals": .signedIn,
        "GET /{community}/petitions": .everyone, "GET /{community}/petitions/new": .signedIn, "POST /{community}/petitions": .verified,
        "GET /{community}/petitions/{id}": .everyone, "POST /{community}/petitions/{id}/sign": .verified,
        "GET /{community}/petitions/{id}/count.json": .everyone,
        "GET /{community}/moderation": .permission(.moderate), "POST /{community}/moderation/petitions/{id}": .permission(.moderate),
        "GET /{community}/moderation/petitions/{id}/signatures": .permission(.moderate),
        "POST /{community}/moderation/petitions/{id}/invalidate": .permission(.moderate),
        "GET /api/v1/{community}/petitions": .everyone, "GET /api/v1/{community}/petitions/{id}": .everyone,
        "GET /api/v1/{community}/petitions/{id}/signatures": .everyone, "POST /api/v1/{community}/petitions/{id}/signatures": .verified,
        "GET /{community}/open-data/petitions.json": .everyone, "GET /{community}/open-data/petitions.csv": .everyone,
        "GET /{community}/open-data/signatures.json": .everyone, "GET /{community}/open-data/signatures.csv": .everyone,
        "GET /media/{id}": .everyone,
        "GET /{community}/reports": .everyone, "GET /{community}/reports.geojson": .everyone, "GET /{community}/reports/new": .signedIn,
        "POST /{community}/reports": .signedIn, "GET /{community}/reports/{id}": .everyone,
        "POST /{community}/reports/{id}/support": .signedIn, "POST /{community}/reports/{id}/comments": .signedIn,
        "POST /{community}/reports/{id}/reopen": .signedIn, "POST /{community}/reports/{id}/link": .reportReporterOrModerator,
        "GET /{community}/moderation/reports": .permission(.moderate), "POST /{community}/moderation/reports/{id}": .permission(.moderate),
        "GET /{community}/admin/reports": .permission(.administer), "POST /{community}/admin/reports/categories": .permission(.administer),
        "POST /{community}/admin/reports/keys": .permission(.administer),
        "POST /{community}/admin/reports/keys/{id}/revoke": .permission(.administer),
        "GET /{community}/open-data/reports.geojson": .everyone, "GET /{community}/open-data/reports.csv": .everyone,
        "GET /open311/v2/{file}": .everyone, "POST /open311/v2/{file}": .everyone, "GET /open311/v2/services/{file}": .everyone,
        "GET /open311/v2/requests/{file}": .everyone, "GET /open311/v2/tokens/{file}": .everyone,
        "GET /{community}/consultations": .everyone, "GET /{community}/consultations/new": .consultationStaff,
        "POST /{community}/consultations": .consultationStaff, "GET /{community}/consultations/{id}": .everyone,
        "POST /{community}/consultations/{id}/comments": .verified, "POST /{community}/consultations/{id}/comments/{comment}/support": .signedIn,
        "POST /{community}/consultations/{id}/comments/{comment}/moderate": .permission(.moderate),
        "POST /{community}/consultations/{id}/survey": .verified, "GET /{community}/consultations/{id}/edit": .consultationManagers,
        "POST /{community}/consultations/{id}/versions": .consultationManagers,
        "POST /{community}/consultations/{id}/conclusions": .consultationManagers,
        "POST /{community}/consultations/{id}/report": .consultationManagers,
        "GET /api/v1/{community}/consultations": .everyone, "GET /api/v1/{community}/consultations/{id}": .everyone,
        "GET /api/v1/{community}/consultations/{id}/results": .everyone, "POST /api/v1/{community}/consultations/{id}/comments": .verified,
        "POST /api/v1/{community}/consultations/{id}/answers": .verified,
        "GET /{community}/open-data/consultations/{id}/results.json": .everyone,
        "GET /{community}/open-data/consultations/{id}/results.csv": .everyone,
        "GET /{community}/map": .everyone, "GET /{community}/map/{register}/{object}": .everyone,
        "POST /{community}/map/{register}/{object}/feedback": .signedIn,
        "POST /{community}/map/{register}/{object}/edit": .documentStaff, "GET /{community}/open-data/registers/{file}": .everyone,
        "GET /{community}/admin/registers": .permission(.administer), "POST /{community}/admin/registers": .permission(.administer),
        "POST /{community}/admin/registers/{register}": .permission(.administer),
        "GET /ogc/{community}": .everyone, "GET /ogc/{community}/conformance": .everyone, "GET /ogc/{community}/collections": .everyone,
        "GET /ogc/{community}/collections/{collection}": .everyone, "GET /ogc/{community}/collections/{collection}/items": .everyone,
        "GET /ogc/{community}/collections/{collection}/items/{feature}": .everyone,
        "GET /{community}/budget": .everyone, "GET /{community}/budget/cycles/{cycle}": .everyone,
        "GET /{community}/budget/cycles/{cycle}/projects/new": .signedIn, "POST /{community}/budget/cycles/{cycle}/projects": .verified,
        "GET /{community}/budget/projects/{project}": .everyone, "GET /{community}/budget/projects/{project}/edit": .projectAuthor,
        "POST /{community}/budget/projects/{project}/edit": .projectAuthor, "POST /{community}/budget/projects/{project}/vote": .verified,
        "POST /{community}/budget/projects/{project}/follow": .signedIn,
        "POST /{community}/budget/projects/{project}/updates": .documentStaff,
        "GET /{community}/budget/cycles/{cycle}/results": .everyone,
        "GET /{community}/admin/budget": .permission(.administer), "POST /{community}/admin/budget": .permission(.administer),
        "GET /{community}/admin/budget/{cycle}": .permission(.administer),
        "POST /{community}/admin/budget/{cycle}/categories": .permission(.administer),
        "POST /{community}/admin/budget/{cycle}/close-phase": .permission(.administer),
        "GET /{community}/office/budget": .permission(.verifyIdentities),
        "POST /{community}/office/budget/voter": .permission(.verifyIdentities),
        "POST /{community}/office/budget/ballots": .permission(.verifyIdentities),
        "GET /api/v1/{community}/budget/cycles": .everyone, "GET /api/v1/{community}/budget/cycles/{cycle}": .everyone,
        "GET /api/v1/{community}/budget/cycles/{cycle}/projects": .everyone,
        "GET /api/v1/{community}/budget/cycles/{cycle}/results": .everyone,
        "GET /api/v1/{community}/budget/projects/{project}": .everyone,
        "POST /api/v1/{community}/budget/projects/{project}/votes": .verified,
        "GET /{community}/open-data/budget/{cycle}/projects.json": .everyone, "GET /{community}/open-data/budget/{cycle}/projects.csv": .everyone,
        "GET /{community}/open-data/budget/{cycle}/results.json": .everyone, "GET /{community}/open-data/budget/{cycle}/results.csv": .everyone,
        "GET /{community}/open-data/budget/{cycle}/ballots.json": .everyone, "GET /{community}/open-data/budget/{cycle}/ballots.csv": .everyone,
    ]

    func allowed(_ rule: Rule, _ caller: Caller, route: String) -> Bool {
        if caller == .unconfirmed {
            return allowed(rule, .newcomer, route: route) && (route.hasPrefix("GET ") || Self.unconfirmedMayWrite.contains(route))
        }
        return switch rule {
        case .everyone, .skipped, .authentication: true
        case .signedIn: caller != .anonymous
        case .verified: caller == .citizen
        case .permission(let permission):
            switch permission {
            case .administer: caller == .admin
            case .moderate: [.moderator, .admin].contains(caller)
            case .useOffice: [.official, .head, .desk, .admin].contains(caller)
            // The centre's desks: its staff only, not the street lighting staff nor the administrator.
            case .verifyIdentities: caller == .desk
            }
        case .documentStaff: [.official, .head, .admin].contains(caller)
        case .appealReader: [.citizen, .official, .head, .admin].contains(caller)
        case .projectAuthor, .metricsReaders: false
        case .reportReporterOrModerator: [.moderator, .admin].contains(caller)
        case .consultationStaff: [.moderator, .official, .head, .desk, .admin].contains(caller)
        case .consultationManagers: [.moderator, .official, .head, .admin].contains(caller)
        }
    }

    @Test func everyRouteForEveryCaller() async throws {
        let services = try await TestApp.services(suite: "authorization_matrix")
        let community = try await services.communities.require(slug: "khmelnytskyi")
        let other = try await services.database.transaction { session in
            try await services.communities.create(slug: "matrix-other", nameUK: "Інша громада", nameEN: "Other community", on: session)
        }
        let otherAdmin = try await services.accounts.signUp(
            email: "admin@matrix-other.ua", fullName: "Адмін Іншої", password: "0123456789abc", language: .uk, citizenOf: nil, ip: nil)
        try await services.accounts.grant(.administrator, departmentID: nil, to: otherAdmin.id, in: other.id, by: nil, ip: nil)

        var tokens: [Caller: String] = [:]
        let unconfirmed = try await services.accounts.signUp(
            email: "unconfirmed@matrix-other.ua", fullName: "Непідтверджена", password: "0123456789abc", language: .uk,
            citizenOf: community.id, ip: nil, confirmationLinks: services.accountTokens)
        for caller in Caller.allCases where caller != .anonymous {
            let email = caller == .otherAdmin ? otherAdmin.email : caller == .unconfirmed ? unconfirmed.email : "\(caller.rawValue)@khmelnytskyi.demo"
            let person = try #require(try await services.accounts.person(email: email))
            tokens[caller] = try await services.sessions.create(personID: person.id, kind: .api, ip: nil, userAgent: nil).token
        }
        let samples = try await RouteSamples(services, community: community)
        let callerTokens = tokens
        let router = buildRouter(services: services)
        let routes = router.routes.map { (method: $0.method, path: $0.path.description) }
        let unruled = routes.filter { Self.rules["\($0.method.rawValue) \($0.path)"] == nil }.map { "\($0.method.rawValue) \($0.path)" }
        #expect(unruled.isEmpty, "routes without an authorization rule: \(unruled)")

        try await Application(router: router).test(.router) { client in
            for route in routes {
                let key = "\(route.method.rawValue) \(route.path)"
                guard let rule = Self.rules[key] else { continue }
                if case .skipped = rule { continue }
                let uri = samples.uri(route.path)
                for caller in Caller.allCases {
                    var headers: HTTPFields = [.accept: "application/json"]
                    if let token = callerTokens[caller] { headers[.authorization] = "Bearer \(token)" }
                    let response = try await client.execute(uri: uri, method: route.method, headers: headers, body: nil)
                    let denied = [HTTPResponse.Status.unauthorized, .forbidden, .notFound].contains(response.status)
                    // Without a session cookie or a token, an HTML form POST has no CSRF binding: refused.
                    let expectAllowed = allowed(rule, caller, route: key)
                        && !(caller == .anonymous && route.method == .post && !uri.hasPrefix("/api/"))
                    if case .authentication = rule, expectAllowed {
                        #expect(response.status != .forbidden, "\(caller) should reach \(key), got \(response.status)")
                    } else if expectAllowed {
                        #expect(![.unauthorized, .forbidden].contains(response.status), "\(caller) should reach \(key), got \(response.status): \(String(buffer: response.body).prefix(300))")
                    } else {
                        #expect(denied, "\(caller) should be refused \(key), got \(response.status)")
                    }
                }
            }
        }
    }
}
