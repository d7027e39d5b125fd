import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Postgres
import Testing

@testable import Hromada

/// How client addresses are counted, and the arithmetic of windows: no database needed.
@Suite struct AddressKeyTests {
    @Test func ipv6IsCountedPerSlash64AndIPv4PerAddress() {
        #expect(RateLimiter.addressKey("192.0.2.7") == "192.0.2.7")
        #expect(RateLimiter.addressKey("::ffff:192.0.2.7") == "192.0.2.7", "an IPv4-mapped address is its IPv4 address")
        #expect(RateLimiter.addressKey("2001:db8:1:2::1") == "2001:db8:1:2::/64")
        #expect(RateLimiter.addressKey("2001:0db8:0001:0002:ffff:ffff:ffff:fffe") == "2001:db8:1:2::/64", "the same /64, written out")
        #expect(RateLimiter.addressKey("2001:DB8:1:2:a::b") == "2001:db8:1:2::/64")
        #expect(RateLimiter.addressKey("2001:db8:1:3::1") == "2001:db8:1:3::/64", "the next /64 is another client")
        #expect(RateLimiter.addressKey("::1") == "0:0:0:0::/64")
        #expect(RateLimiter.addressKey("not an address") == "not an address")
    }

    @Test func retryAfterIsTheRestOfTheWindow() {
        let tenPastNine = Date(timeIntervalSince1970: 9 * 3600 + 600)
        #expect(RateLimiter.secondsLeft(inWindowOf: 3600, now: tenPastNine) == 3000)
        #expect(RateLimiter.secondsLeft(inWindowOf: 86_400, now: tenPastNine) == 86_400 - 9 * 3600 - 600)
        #expect(RateLimiter.secondsLeft(inWindowOf: 900, now: Date(timeIntervalSince1970: 900)) == 900)
    }

    @Test func waitingIsToldInTheLanguagesPluralForms() throws {
        let catalogue = try TranslationCatalogue.load(from: AppResources.catalogueURL)
        let error = AppError(.rateLimited, detailKey: "limits.refusal.report", retryAfterSeconds: 125)
        #expect(error.detail(catalogue, .uk) == "Ви надіслали забагато звернень за короткий час. Спробуйте знову за 3 хвилини.")
        #expect(error.detail(catalogue, .en) == "You have filed too many reports in a short time. Try again in 3 minutes.")
        let hours = AppError(.rateLimited, detailKey: "limits.refusal.upload_bytes", retryAfterSeconds: 5 * 3600 - 10)
        #expect(hours.detail(catalogue, .uk)?.hasSuffix("Спробуйте знову за 5 годин.") == true)
        #expect(hours.detail(catalogue, .en)?.hasSuffix("Try again in 5 hours.") == true)
    }

    @Test func aKnownDeviceTokenNamesOneAccount() throws {
        let devices = KnownDevices(secretKey: TestApp.secret)
        let token = devices.token(for: "Moderator@Khmelnytskyi.demo")
        let device = try #require(devices.device(in: token, for: "moderator@khmelnytskyi.demo"), "the e-mail is compared normalised")
        #expect(token.hasPrefix(device + "."))
        #expect(devices.device(in: token, for: "citizen@khmelnytskyi.demo") == nil, "worthless for another account")
        #expect(devices.device(in: "forged." + token.split(separator: ".")[1], for: "moderator@khmelnytskyi.demo") == nil)
        #expect(KnownDevices(secretKey: Array("another-secret-another-secret-0123456789".utf8)).device(in: token, for: "moderator@khmelnytskyi.demo") == nil)
        #expect(devices.device(in: nil, for: "moderator@khmelnytskyi.demo") == nil)
        #expect(devices.device(in: "no-dot", for: "moderator@khmelnytskyi.demo") == nil)
    }

    @Test func theAdministratorsFormIsReadInMegabytesForBytes() throws {
        let report = LimitKey(.report, .person), photos = LimitKey(.uploadBytes, .address)
        let overrides = try LimitAdminRoutes.overrides(FormData(values: [
            LimitAdminRoutes.maximumField(report): "25", LimitAdminRoutes.windowField(report): "86400",
            LimitAdminRoutes.maximumField(photos): "300", LimitAdminRoutes.windowField(photos): "86400",
        ]))
        #expect(overrides == [report: Allowance(25, per: 86_400), photos: Allowance(300 * Allowance.megabyte, per: 86_400)])
        for (maximum, window) in [("0", "3600"), ("-3", "3600"), ("many", "3600"), ("5", "60"), ("9223372036854775807", "3600")] {
            let error = #expect(throws: AppError.self) {
                try LimitAdminRoutes.overrides(FormData(values: [LimitAdminRoutes.maximumField(photos): maximum, LimitAdminRoutes.windowField(photos): window]))
            }
            #expect(error?.fieldErrors[LimitAdminRoutes.maximumField(photos)] == "limits.error.value", "\(maximum) per \(window)")
        }
    }
}

/// The sign-in brake: an address block is braked, guessing an account is braked, and the
/// account's owner on a device that signed in before is never locked out by either.
@Suite struct KnownDeviceSignInTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "known_devices") }

    /// Tries a password and names the outcome: signed in, wrong password, or refused by a limit.
    func attempt(_ services: AppServices, _ email: String, _ password: String, ip: String, device: String? = nil) async throws -> AppError.Kind? {
        do {
            _ = try await services.signIn(email: email, password: password, ip: ip, deviceToken: device)
            return nil
        } catch let error as AppError {
            return error.kind
        }
    }

    /// Counts the account brake's failures as unknown devices failing everywhere would (the
    /// guessing test below makes them for real), without a password check each.
    func brake(_ email: String, _ services: AppServices) async throws {
        for _ in 0..<RateLimiter.Rule.signInFailuresPerAccount.limit {
            _ = try await services.rateLimiter.allow(.signInFailuresPerAccount, key: AccountRules.normalizedEmail(email))
        }
    }

    @Test func oneSlash64IsOneClientAndCannotLockTheOwnerOut() async throws {
        let services = try await services()
        let email = "moderator@khmelnytskyi.demo"
        let device = services.knownDevices.token(for: email)
        var outcomes: [AppError.Kind?] = []
        for host in 1...10 {
            for _ in 0..<10 { outcomes.append(try await attempt(services, email, "guess", ip: "2001:db8:64:1::\(host)")) }
        }
        #expect(outcomes.filter { $0 == .unauthorized }.count == RateLimiter.Rule.signInFailuresPerAccountAndIP.limit,
                "ten addresses of one /64 are one client: ten failures, then refusals")
        #expect(outcomes.suffix(90).allSatisfy { $0 == .rateLimited })
        #expect(try await attempt(services, email, DemoData.password, ip: "2001:db8:64:1::99") == .rateLimited, "the /64 stays refused")
        #expect(try await attempt(services, email, DemoData.password, ip: "2001:db8:64:2::1") == nil, "the next /64 is not")
        #expect(try await attempt(services, email, DemoData.password, ip: "2001:db8:64:1::5", device: device) == nil,
                "the owner's known device signs in even inside the refused /64")
    }

    @Test func guessingIsBrakedButTheOwnersKnownDeviceSignsIn() async throws {
        let services = try await services()
        let email = "head@khmelnytskyi.demo"
        let device = services.knownDevices.token(for: email)
        // 100 failures from ten separate networks: the account's brake for unknown devices.
        for network in 1...10 {
            for _ in 0..<10 { #expect(try await attempt(services, email, "guess", ip: "2001:db8:\(network)::1") == .unauthorized) }
        }
        #expect(try await attempt(services, email, DemoData.password, ip: "203.0.113.80") == .rateLimited,
                "an unknown device is refused even with the right password while the account is braked")
        #expect(try await attempt(services, email, DemoData.password, ip: "198.51.100.80", device: device) == nil,
                "the owner's device that signed in before keeps its own allowance, from any address")
        // That allowance is its own: ten failures on the device brake only the device.
        for _ in 0..<RateLimiter.Rule.signInFailuresPerKnownDevice.limit {
            #expect(try await attempt(services, email, "guess", ip: "198.51.100.80", device: device) == .unauthorized)
        }
        #expect(try await attempt(services, email, DemoData.password, ip: "198.51.100.80", device: device) == .rateLimited)
    }

    @Test func mintingDeviceCookiesBuysNoExtraPasswordChecks() async throws {
        let services = try await services()
        let email = "citizen@khmelnytskyi.demo"
        var outcomes: [AppError.Kind?] = []
        for _ in 0...RateLimiter.Rule.signInKnownDevicesPerIP.limit {
            outcomes.append(try await attempt(services, email, "guess", ip: "192.0.2.200", device: services.knownDevices.token(for: email)))
        }
        #expect(outcomes.dropLast().allSatisfy { $0 == .unauthorized }, "each fresh device has its own failures")
        #expect(outcomes.last == .rateLimited, "but known devices' attempts from one address are counted together")
    }

    @Test func signingInMarksTheBrowserAsKnownAndItStaysWelcomeWhenTheAccountIsBraked() async throws {
        let services = try await services()
        let email = "official@khmelnytskyi.demo"
        try await TestApp.withBrowser(services) { owner in
            let signedIn = try await owner.signIn(email)
            #expect(signedIn.status == .seeOther)
            #expect(owner.cookies[KnownDevices.cookieName] != nil, "a successful sign-in sets the known-device cookie")
            try await owner.get("/account")
            #expect(try await owner.post("/signout", form: [:]).status == .seeOther)
            #expect(owner.cookies[KnownDevices.cookieName] != nil, "signing out keeps it")
            try await brake(email, services)
            try await TestApp.withBrowser(services) { stranger in
                let refused = try await stranger.signIn(email)
                #expect(refused.status == .tooManyRequests)
                let wait = try #require(Int(refused.headers[.retryAfter] ?? ""))
                #expect((1...RateLimiter.Rule.signInFailuresPerAccount.windowSeconds).contains(wait))
                #expect(refused.body.contains("Спробуйте знову за"))
            }
            #expect(try await owner.signIn(email).status == .seeOther, "the owner's browser signs in")
        }
    }

    @Test func theAPISessionRouteKnowsTheDeviceToo() async throws {
        let services = try await services()
        let email = "admin@khmelnytskyi.demo"
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            func signIn(cookie: String?) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let cookie { headers[.cookie] = "\(KnownDevices.cookieName)=\(cookie)" }
                return try await client.execute(uri: "/api/v1/session", method: .post, headers: headers,
                                                body: ByteBuffer(string: #"{"email": "\#(email)", "password": "\#(DemoData.password)"}"#))
            }
            let first = try await signIn(cookie: nil)
            #expect(first.status == .created)
            let setCookie = try #require(first.headers[values: .setCookie].first { $0.hasPrefix(KnownDevices.cookieName + "=") })
            let device = String(setCookie.split(separator: ";")[0].dropFirst(KnownDevices.cookieName.count + 1))
            try await brake(email, services)
            let stranger = try await signIn(cookie: nil)
            #expect(stranger.status == .tooManyRequests)
            #expect(stranger.headers[.contentType] == "application/problem+json" && stranger.headers[.retryAfter] != nil)
            #expect(try await signIn(cookie: device).status == .created)
        }
    }

    @Test func anExemptIPv6AddressExemptsItsSlash64() async throws {
        let services = try await services()
        let limiter = RateLimiter(database: services.database, exemptAddresses: ["2001:db8:cafe:1::10", "192.0.2.9"])
        #expect(limiter.isExempt("2001:db8:cafe:1::77"))
        #expect(limiter.isExempt("::ffff:192.0.2.9"))
        #expect(!limiter.isExempt("2001:db8:cafe:2::10"))
        for _ in 0..<(RateLimiter.Rule.signInPerIP.limit + 5) {
            #expect(try await limiter.allow(.signInPerIP, address: "2001:db8:cafe:1::\(Int.random(in: 1...9999))"))
        }
    }
}

/// Limits on what people create: per person, per address, per Open311 key, a daily byte quota
/// for photos, each overridable per community. The suite's tests change the demo community's
/// limits, so they take turns.
@Suite(.serialized) struct CreationLimitTests {
    func services() async throws -> AppServices { try await TestApp.services(suite: "creation_limits") }

    /// Sets the demo community's own limits, as its administrator would.
    func setLimits(_ overrides: [LimitKey: Allowance], _ services: AppServices) async throws {
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        try await services.limits.save(overrides, communityID: try await Fixtures.community(services).id, by: admin, ip: nil)
    }

    func draft(_ services: AppServices, latitude: Double = 49.25) async throws -> ReportDraft {
        let community = try await Fixtures.community(services)
        let category = try #require(try await services.reports.categories(of: community.id).first { $0.code == "roads" })
        return ReportDraft(categoryID: category.id, location: GeoPoint(latitude: latitude + Double.random(in: 0..<0.01), longitude: 27.3),
                           address: "", description: "Вибоїна на дорозі біля школи", attributes: ["size": "small"])
    }

    func reports(by person: Viewer, _ services: AppServices) async throws -> Int {
        try await services.database.query("SELECT count(*)::int AS n FROM reports WHERE author_id = $1", person.person.id)[0].decode("n")
    }

    @Test func theReportOverTheLimitIsShownAgainWith429AndRetryAfter() async throws {
        let services = try await services()
        try await setLimits([LimitKey(.report, .person): Allowance(3, per: Allowance.hour)], services)
        let lighting = try #require(try await services.reports.categories(of: try await Fixtures.community(services).id).first { $0.code == "street_lighting" })
        // The unverified newcomer, who may report problems: this suite's other tests file as others.
        let newcomer = try await Fixtures.viewer("newcomer@khmelnytskyi.demo", services)
        let before = try await reports(by: newcomer, services)
        try await TestApp.withBrowser(services) { browser in
            try await browser.signIn("newcomer@khmelnytskyi.demo")
            func file(_ n: Int) async throws -> Browser.Page {
                try await browser.get("/khmelnytskyi/reports/new")
                return try await browser.postMultipart("/khmelnytskyi/reports", form: [
                    "category": String(lighting.id), "latitude": String(49.2 + Double(n) / 100), "longitude": "27.31",
                    "description": "Не світить ліхтар номер \(n)", "confirm": "yes",
                ], files: [])
            }
            for n in 1...3 { #expect(try await file(n).status == .seeOther, "report \(n) is within the limit") }
            let refused = try await file(4)
            #expect(refused.status == .tooManyRequests)
            let wait = try #require(Int(refused.headers[.retryAfter] ?? ""))
            #expect((1...3600).contains(wait))
            #expect(refused.body.contains("Ви надіслали забагато звернень за короткий час."), "the form again, with the reason")
            #expect(refused.body.contains("Не світить ліхтар номер 4"), "what was typed is kept")
        }
        #expect(try await reports(by: newcomer, services) == before + 3, "the refused report was not stored")
        // The community's value is the rule: raised, the next report goes through.
        try await setLimits([LimitKey(.report, .person): Allowance(4, per: Allowance.hour)], services)
        _ = try await services.reports.file(try await draft(services), by: .person(newcomer), community: try await Fixtures.community(services), ip: nil)
        #expect(try await reports(by: newcomer, services) == before + 4)
    }

    @Test func oneAddressIsLimitedWhoeverFilesAndIPv6CountsPerSlash64() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        try await setLimits([LimitKey(.report, .address): Allowance(2, per: Allowance.hour)], services)
        let people = try await Fixtures.residents(4, services)
        for (person, address) in zip(people.prefix(2), ["2001:db8:77:1::1", "2001:db8:77:1::2"]) {
            _ = try await services.reports.file(try await draft(services), by: .person(person), community: community, ip: address)
        }
        let refused = await #expect(throws: AppError.self) {
            try await services.reports.file(try await draft(services), by: .person(people[2]), community: community, ip: "2001:db8:77:1::3")
        }
        #expect(refused?.kind == .rateLimited && refused?.detailKey == "limits.refusal.report")
        #expect(try await reports(by: people[2], services) == 0)
        _ = try await services.reports.file(try await draft(services), by: .person(people[3]), community: community, ip: "2001:db8:77:2::1")
        #expect(try await reports(by: people[3], services) == 1, "another /64 has its own allowance")
    }

    @Test func thePhotoQuotaStopsAPersonAfterItsBytes() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let photo = try ImageSanitizer.sanitized(SampleImages.jpegWithGPS)
        try await setLimits([LimitKey(.uploadBytes, .person): Allowance(photo.bytes.count * 5 / 2, per: Allowance.day)], services)
        let person = try await Fixtures.residents(1, services)[0]
        for _ in 0..<2 {
            _ = try await services.reports.file(try await draft(services), photos: [photo], by: .person(person), community: community, ip: nil)
        }
        let refused = await #expect(throws: AppError.self) {
            try await services.reports.file(try await draft(services), photos: [photo], by: .person(person), community: community, ip: nil)
        }
        #expect(refused?.kind == .rateLimited && refused?.detailKey == "limits.refusal.upload_bytes")
        #expect((1...Allowance.day).contains(refused?.retryAfterSeconds ?? 0))
        #expect(try await reports(by: person, services) == 2, "the report with the photo over the quota was not filed")
        let stored = try await services.database.query("SELECT coalesce(sum(octet_length(bytes)), 0)::int AS n FROM media WHERE uploaded_by = $1",
                                                       person.person.id)[0].decode("n", as: Int.self)
        #expect(stored == photo.bytes.count * 2)
        _ = try await services.reports.file(try await draft(services), by: .person(person), community: community, ip: nil)
        #expect(try await reports(by: person, services) == 3, "without photos the report still goes")
    }

    @Test func open311PostsAreLimitedPerKeyWithAProblemAndRetryAfter() async throws {
        let services = try await services()
        try await setLimits([LimitKey(.open311Request, .apiKey): Allowance(2, per: Allowance.hour)], services)
        let community = try await Fixtures.community(services)
        let admin = try await Fixtures.viewer("admin@khmelnytskyi.demo", services)
        let key = try await services.reports.issueApplicationKey(name: "Limit test \(UUID().uuidString.prefix(6))", by: admin, communityID: community.id, ip: nil)
        try await Application(router: buildRouter(services: services)).test(.router) { client in
            func post(_ key: String) async throws -> TestResponse {
                try await client.execute(
                    uri: "/open311/v2/requests.json", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                    body: ByteBuffer(string: "jurisdiction_id=khmelnytskyi&service_code=roads&lat=49.26&long=27.33&description=Pothole+near+the+park"
                                     + "&attribute%5Bsize%5D=large&api_key=\(key)"))
            }
            #expect(try await post(key).status == .created)
            #expect(try await post(key).status == .created)
            let refused = try await post(key)
            #expect(refused.status == .tooManyRequests)
            #expect(refused.headers[.contentType] == "application/problem+json")
            let wait = try #require(Int(refused.headers[.retryAfter] ?? ""))
            #expect((1...3600).contains(wait))
            let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: refused.body)) as? [String: Any])
            #expect(problem["type"] as? String == "/problems/rate-limited")
            #expect((problem["detail"] as? String)?.contains("Open311") == true)
            #expect(try await post(DemoData.open311Key).status == .created, "another application's key has its own allowance")
        }
    }

    @Test func everyKindOfNewItemCountsAgainstItsOwnLimit() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        try await setLimits([
            LimitKey(.petition, .person): Allowance(1, per: Allowance.day), LimitKey(.appeal, .person): Allowance(1, per: Allowance.day),
            LimitKey(.reportComment, .person): Allowance(1, per: Allowance.hour), LimitKey(.support, .person): Allowance(1, per: Allowance.hour),
        ], services)
        let residents = try await Fixtures.residents(2, services)
        let (person, reporter) = (residents[0], residents[1])
        let body = String(repeating: "Потрібно зробити місто кращим для всіх мешканців. ", count: 3)
        func refusal(_ action: () async throws -> Void) async -> String? {
            do {
                try await action()
                return nil
            } catch let error as AppError {
                return error.kind == .rateLimited ? error.detailKey : "\(error.kind)"
            } catch {
                return "\(error)"
            }
        }
        for expected in [nil, "limits.refusal.petition"] {
            #expect(await refusal {
                _ = try await services.petitions.submit(title: "Петиція \(UUID().uuidString.prefix(6))", body: body, category: "", by: person,
                                                        in: community, verifications: services.verifications, ip: nil)
            } == expected)
        }
        for expected in [nil, "limits.refusal.appeal"] {
            #expect(await refusal {
                _ = try await services.appeals.submit(topic: "other", subject: "Тема звернення", body: "Текст звернення до ради про двір.",
                                                      address: "", by: person, in: community, ip: nil)
            } == expected)
        }
        var reports: [Int] = []
        for _ in 0..<2 {
            reports.append(try await services.reports.file(try await draft(services, latitude: 49.27), by: .person(reporter), community: community, ip: nil))
        }
        for expected in [nil, "limits.refusal.report_comment"] {
            #expect(await refusal {
                try await services.reports.comment(on: reports[0], text: "І в нас так само", by: person, communityID: community.id, ip: nil)
            } == expected)
        }
        for (report, expected) in zip(reports, [nil, "limits.refusal.support"]) {
            #expect(await refusal { try await services.reports.support(report, by: person, communityID: community.id, ip: nil) } == expected)
        }
        #expect(try await services.reports.isSupporting(reports[0], personID: person.person.id))
        #expect(try await !services.reports.isSupporting(reports[1], personID: person.person.id), "the refused support was not stored")
    }

    @Test func theAdministratorSetsTheLimitsOnAPageAndItIsAudited() async throws {
        let services = try await services()
        let community = try await Fixtures.community(services)
        let key = LimitKey(.consultationComment, .address)
        try await TestApp.withBrowser(services) { admin in
            try await admin.signIn("admin@khmelnytskyi.demo")
            let page = try await admin.get("/khmelnytskyi/admin/limits")
            #expect(page.status == .ok && page.body.contains("Коментарі в консультаціях: одна адреса"))
            let saved = try await admin.post("/khmelnytskyi/admin/limits", form: [
                LimitAdminRoutes.maximumField(key): "7", LimitAdminRoutes.windowField(key): "86400",
                LimitAdminRoutes.maximumField(LimitKey(.uploadBytes, .person)): "80",
                LimitAdminRoutes.windowField(LimitKey(.uploadBytes, .person)): "86400",
            ])
            #expect(saved.status == .seeOther)
            #expect(try await admin.get("/khmelnytskyi/admin/limits").body.contains(#"value="7""#))
            let bad = try await admin.post("/khmelnytskyi/admin/limits", form: [LimitAdminRoutes.maximumField(key): "lots"])
            #expect(bad.status == .unprocessableContent && bad.body.contains("field-error"))
        }
        let limits = try await services.limits.limits(of: community.id)
        #expect(limits.allowance(key) == Allowance(7, per: Allowance.day))
        #expect(limits.allowance(LimitKey(.uploadBytes, .person)) == Allowance(80 * Allowance.megabyte, per: Allowance.day))
        #expect(limits.allowance(LimitKey(.report, .person)) == CommunityLimits.defaults[LimitKey(.report, .person)], "the rest keep the defaults")
        let audit = try await services.database.query(
            "SELECT summary FROM audit_log WHERE action = 'limits.update' AND community_id = $1 ORDER BY id DESC LIMIT 1", community.id)
        #expect(try audit.first?.decode("summary", as: String.self).contains("consultation_comment.address: 7/86400s") == true)
    }
}
