import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import Hromada

/// Anonymous pages that shared caches may keep (no cookie, `public`, an ETag, 304s), and
/// everything personal that they must not.
@Suite struct HTTPCachingTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "http_caching") }

    static func isPublic(_ headers: HTTPFields) -> Bool { headers[.cacheControl]?.hasPrefix("public") ?? false }

    /// The `max-age` of a `Cache-Control` value.
    static func maxAge(_ headers: HTTPFields) -> Int? {
        headers[.cacheControl]?.split(separator: ",").lazy.map { $0.trimmingCharacters(in: .whitespaces) }
            .first { $0.hasPrefix("max-age=") }.flatMap { Int($0.dropFirst("max-age=".count)) }
    }

    /// The public pages, open data and APIs: an anonymous visitor gets no cookie, and a response
    /// every cache may keep, with `stale-while-revalidate`, `Vary` and an ETag.
    @Test func anonymousPublicResponsesSetNoCookieAndAreShared() async throws {
        let services = try await services()
        let samples = try await RouteSamples(services, community: try await Fixtures.community(services))
        let uris = [
            "/", "/khmelnytskyi", "/khmelnytskyi/petitions", "/khmelnytskyi/petitions/\(samples.petition)",
            "/khmelnytskyi/petitions/\(samples.petition)/count.json", "/khmelnytskyi/consultations",
            "/khmelnytskyi/consultations/\(samples.consultation)", "/khmelnytskyi/reports", "/khmelnytskyi/budget",
            "/khmelnytskyi/budget/projects/\(samples.project)", "/khmelnytskyi/map", "/khmelnytskyi/open-data/petitions.csv",
            "/api/v1/khmelnytskyi/petitions", "/api/v1/khmelnytskyi/petitions/\(samples.petition)", "/api/v1/openapi.json",
            "/open311/v2/services.json?jurisdiction_id=khmelnytskyi", "/ogc/khmelnytskyi/collections/street-lighting/items",
        ]
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            for uri in uris {
                let response = try await client.execute(uri: uri, method: .get)
                #expect(response.status == .ok, "\(uri): \(response.status)")
                #expect(response.headers[.setCookie] == nil, "\(uri) set \(response.headers[values: .setCookie])")
                let cacheControl = response.headers[.cacheControl] ?? ""
                #expect(cacheControl.hasPrefix("public, max-age=") && cacheControl.contains("stale-while-revalidate="), "\(uri): \(cacheControl)")
                #expect(response.headers[.eTag] != nil, "\(uri) has no ETag")
                let vary = response.headers[.vary] ?? ""
                #expect(vary.contains("Accept-Language") && vary.contains("Cookie"), "\(uri): Vary \(vary)")
            }
        }
    }

    /// Of every GET route, only the pages with a form an anonymous visitor may send set a cookie
    /// (and the language switch); none of them is public, and every public answer is a 200 with an ETag.
    @Test func onlyFormPagesGiveAnAnonymousVisitorACookie() async throws {
        let services = try await services()
        let samples = try await RouteSamples(services, community: try await Fixtures.community(services))
        let router = buildRouter(services: services)
        let paths = router.routes.filter { $0.method == .get }.map(\.path.description)
        let routed = Set(paths)
        #expect(HTTPCachePolicy.routes.keys.filter { !routed.contains($0) }.isEmpty, "cache rules for routes that do not exist")
        try await Application(router: router).test(.router) { client in
            for path in paths {
                let uri = samples.uri(path)
                let response = try await client.execute(uri: uri, method: .get)
                let cookies = response.headers[values: .setCookie]
                if !cookies.isEmpty {
                    #expect(["/signin", "/signup", "/password/forgot", "/password/reset", "/email/confirm", "/lang/{code}"].contains(path),
                            "GET \(uri) set \(cookies)")
                    #expect(!Self.isPublic(response.headers), "GET \(uri) sets a cookie and is public")
                }
                if Self.isPublic(response.headers) {
                    #expect(response.status == .ok, "GET \(uri) is public with \(response.status)")
                    #expect(response.headers[.eTag] != nil, "GET \(uri) is public without an ETag")
                }
            }
        }
    }

    /// The sign-in and sign-up forms bind their token to a visitor cookie set with the form; a post
    /// without the token, or without the cookie it is bound to, is refused.
    @Test func signInAndSignUpFormsKeepTheirCSRFBinding() async throws {
        let services = try await services()
        let email = "cache.\(UUID().uuidString.prefix(8).lowercased())@example.ua"
        let stolen = try await TestApp.withBrowser(services) { browser in
            let form = try await browser.get("/signup")
            #expect(form.headers[values: .setCookie].contains { $0.hasPrefix(SessionMiddleware.visitorCookie + "=") })
            #expect(form.headers[.cacheControl] == "private, no-store")
            #expect(form.headers[.eTag] == nil)
            #expect(try await browser.post("/signup", form: ["email": email, "full_name": "Кешована Особа", "password": "0123456789abc"],
                                           csrf: .none).status == .forbidden)
            let signedUp = try await browser.post("/signup", form: ["email": email, "full_name": "Кешована Особа", "password": "0123456789abc"])
            #expect(signedUp.status == .seeOther)
            #expect(browser.cookies[SessionMiddleware.sessionCookie] != nil, "signing up signed in")
            return browser.lastCSRF ?? ""
        }
        #expect(try await services.accounts.person(email: email) != nil)

        try await TestApp.withBrowser(services) { browser in
            // A visitor who already has the cookie is not given another, and the form is still theirs alone.
            try await browser.get("/signin")
            let visitor = try #require(browser.cookies[SessionMiddleware.visitorCookie])
            let again = try await browser.get("/signin")
            #expect(again.headers[.setCookie] == nil)
            #expect(again.headers[.cacheControl] == "private, no-store")
            #expect(browser.cookies[SessionMiddleware.visitorCookie] == visitor)
            let form = ["email": "citizen@khmelnytskyi.demo", "password": DemoData.password]
            #expect(try await browser.post("/signin", form: form, csrf: .value(stolen)).status == .forbidden, "another browser's token")
            #expect(try await browser.post("/signin", form: form).status == .seeOther)
            #expect(try await browser.get("/account").status == .ok)
        }
        // A token with no visitor cookie to be bound to is refused, however it was obtained.
        try await TestApp.withBrowser(services) { stranger in
            let refused = try await stranger.post("/signin", form: ["email": "citizen@khmelnytskyi.demo", "password": DemoData.password],
                                                  csrf: .value(stolen))
            #expect(refused.status == .forbidden)
            #expect(stranger.cookies[SessionMiddleware.sessionCookie] == nil)
        }
    }

    /// A matching `If-None-Match` answers 304 with no body; HEAD carries the same tag.
    @Test func matchingETagAnswers304() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services)
        let uri = "/khmelnytskyi/petitions/\(petition.id)"
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let first = try await client.execute(uri: uri, method: .get)
            let tag = try #require(first.headers[.eTag])
            #expect(Self.maxAge(first.headers) == Freshness.item.maxAge)
            let head = try await client.execute(uri: uri, method: .head)
            #expect(head.headers[.eTag] == tag)
            let again = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\", W/\(tag)"])
            #expect(again.status == .notModified)
            #expect(again.body.readableBytes == 0)
            #expect(again.headers[.eTag] == tag)
            #expect(Self.isPublic(again.headers))
            let other = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: "\"other\""])
            #expect(other.status == .ok && other.body.readableBytes > 0)
        }
        // A petition whose outcome is final may be kept for long.
        try await services.database.query("UPDATE petitions SET status = 'not_enough' WHERE id = $1", petition.id)
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let settled = try await client.execute(uri: uri, method: .get)
            #expect(Self.maxAge(settled.headers) == Freshness.settled.maxAge)
        }
    }

    /// A signed-in page is private and carries no tag, so neither a cache nor another person's
    /// tag can answer it with someone else's copy.
    @Test func signedInPagesAreNeverShared() async throws {
        let services = try await services()
        let petition = try await Fixtures.collectingPetition(services)
        let uri = "/khmelnytskyi/petitions/\(petition.id)"
        let anonymousTag = try await TestApp.withBrowser(services) { try #require(try await $0.get(uri).headers[.eTag]) }
        for email in ["citizen@khmelnytskyi.demo", "moderator@khmelnytskyi.demo"] {
            try await TestApp.withBrowser(services) { browser in
                try await browser.signIn(email)
                let page = try await browser.get(uri, headers: [.ifNoneMatch: anonymousTag])
                #expect(page.status == .ok, "\(email) was answered \(page.status) for the anonymous tag")
                #expect(page.headers[.cacheControl] == "private, no-store")
                #expect(page.headers[.eTag] == nil)
                #expect(page.body.contains("/signout"), "the page is \(email)'s own")
                let count = try await browser.get("\(uri)/count.json")
                #expect(!Self.isPublic(count.headers) && count.headers[.eTag] == nil)
                let openData = try await browser.get("/khmelnytskyi/open-data/petitions.csv")
                #expect(!Self.isPublic(openData.headers))
            }
        }
        // A bearer token is a person too.
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let person = try #require(try await services.accounts.person(email: "citizen@khmelnytskyi.demo"))
            let token = try await services.sessions.create(personID: person.id, kind: .api, ip: nil, userAgent: nil).token
            let response = try await client.execute(uri: "/api/v1/khmelnytskyi/petitions/\(petition.id)", method: .get,
                                                    headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "private, no-store")
        }
    }

    /// Error pages, redirects, POST answers and a page that clears a stale session cookie are never public.
    @Test func errorsRedirectsAndPostsAreNeverPublic() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let missing = try await client.execute(uri: "/khmelnytskyi/petitions/999999999", method: .get)
            #expect(missing.status == .notFound)
            let switched = try await client.execute(uri: "/lang/en?next=/khmelnytskyi", method: .get)
            #expect(switched.status == .seeOther || switched.status == .found)
            let session = try await client.execute(
                uri: "/api/v1/session", method: .post, headers: [.contentType: "application/json"],
                body: ByteBuffer(string: #"{"email":"citizen@khmelnytskyi.demo","password":"\#(DemoData.password)"}"#))
            #expect(session.status == .created)
            let stale = try await client.execute(uri: "/khmelnytskyi", method: .get, headers: [.cookie: "\(SessionMiddleware.sessionCookie)=gone"])
            #expect(stale.status == .ok)
            for response in [missing, switched, session, stale] {
                #expect(response.headers[.cacheControl] == "private, no-store", "\(response.status): \(response.headers[.cacheControl] ?? "-")")
                #expect(response.headers[.eTag] == nil)
            }
        }
    }

    /// A cached copy is never in the wrong language: the languages are different bodies and tags,
    /// and caches are told the answer depends on the language header and the cookies.
    @Test func languageVariantsDiffer() async throws {
        let services = try await services()
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let ukrainian = try await client.execute(uri: "/khmelnytskyi/petitions", method: .get, headers: [.acceptLanguage: "uk"])
            let english = try await client.execute(uri: "/khmelnytskyi/petitions", method: .get, headers: [.acceptLanguage: "en-GB,en;q=0.9"])
            let byCookie = try await client.execute(uri: "/khmelnytskyi/petitions", method: .get,
                                                    headers: [.cookie: "\(LanguageMiddleware.cookieName)=en"])
            #expect(String(buffer: ukrainian.body).contains(#"<html lang="uk">"#))
            #expect(String(buffer: english.body).contains(#"<html lang="en">"#))
            #expect(String(buffer: byCookie.body).contains(#"<html lang="en">"#))
            #expect(ukrainian.headers[.eTag] != english.headers[.eTag])
            #expect(english.headers[.eTag] == byCookie.headers[.eTag], "the same English page")
            // A Ukrainian copy's tag does not revalidate the English page.
            let revalidated = try await client.execute(uri: "/khmelnytskyi/petitions", method: .get,
                                                       headers: [.acceptLanguage: "en", .ifNoneMatch: try #require(ukrainian.headers[.eTag])])
            #expect(revalidated.status == .ok)
            for response in [ukrainian, english, byCookie] {
                #expect(response.headers[.vary] == "Accept-Language, Cookie")
            }
        }
    }

    /// The live count is cached for a second: once that has passed, a cache that asks again with
    /// its tag gets the new count, not a 304.
    @Test func aSignatureShowsInTheCountOnceItsMaxAgeHasPassed() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let petition = try await Fixtures.collectingPetition(services)
        let uri = "/khmelnytskyi/petitions/\(petition.id)/count.json"
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            let before = try await client.execute(uri: uri, method: .get)
            let tag = try #require(before.headers[.eTag])
            let maxAge = try #require(Self.maxAge(before.headers))
            #expect(maxAge <= 2)
            #expect(String(buffer: before.body).contains(#""signatures":1"#))
            #expect(try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag]).status == .notModified)

            _ = try await services.petitions.sign(petition.id, by: try await Fixtures.residents(1, services)[0], in: community, ip: nil)
            // The count's own one-second copy in the process, then the cache's max-age.
            try await Task.sleep(for: .milliseconds(1000 * maxAge + 1100))
            let after = try await client.execute(uri: uri, method: .get, headers: [.ifNoneMatch: tag])
            #expect(after.status == .ok)
            #expect(String(buffer: after.body).contains(#""signatures":2"#))
            #expect(after.headers[.eTag] != tag)
        }
    }
}
