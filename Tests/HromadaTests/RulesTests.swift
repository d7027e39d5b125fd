import Foundation
@testable import Hromada
import Postgres
import Testing

@Suite struct AccessPolicyTests {
    let community = 7
    let elsewhere = 8

    func grants(_ role: Role, in communityID: Int? = nil, atServiceCentre: Bool = false) -> [RoleGrant] {
        [RoleGrant(id: 1, communityID: communityID ?? community, role: role, departmentID: role.needsDepartment ? 3 : nil,
                   atServiceCentre: atServiceCentre)]
    }

    @Test(arguments: [
        (Role.citizen, [Permission]()),
        (Role.moderator, [Permission.moderate]),
        (Role.official, [Permission.useOffice]),
        (Role.departmentHead, [Permission.useOffice]),
        (Role.administrator, [Permission.administer, .moderate, .useOffice]),
    ])
    func everyRoleGrantsExactlyItsPermissions(role: Role, allowed: [Permission]) {
        for permission in Permission.allCases {
            #expect(AccessPolicy.allows(grants(role), permission, inCommunity: community) == allowed.contains(permission),
                    "\(role) / \(permission)")
        }
    }

    @Test func onlyTheServiceCentresOfficialsAndHeadUseTheDesks() {
        for role in [Role.official, .departmentHead] {
            #expect(AccessPolicy.allows(grants(role, atServiceCentre: true), .verifyIdentities, inCommunity: community), "\(role)")
            #expect(AccessPolicy.allows(grants(role, atServiceCentre: true), .useOffice, inCommunity: community), "\(role)")
            #expect(!AccessPolicy.allows(grants(role), .verifyIdentities, inCommunity: community), "\(role) of another department")
            #expect(!AccessPolicy.allows(grants(role, in: elsewhere, atServiceCentre: true), .verifyIdentities, inCommunity: community),
                    "\(role) of another community's centre")
        }
        // Roles without a department are never desk staff, whatever the grant claims.
        for role in [Role.citizen, .moderator, .administrator] {
            #expect(!AccessPolicy.allows(grants(role, atServiceCentre: true), .verifyIdentities, inCommunity: community), "\(role)")
        }
        // An administrator who also works at the centre's desk holds both grants.
        let both = grants(.administrator) + grants(.official, atServiceCentre: true)
        #expect(AccessPolicy.allows(both, .verifyIdentities, inCommunity: community))
        #expect(AccessPolicy.allows(both, .administer, inCommunity: community))
    }

    @Test func rolesDoNotCrossCommunities() {
        for permission in Permission.allCases {
            #expect(!AccessPolicy.allows(grants(.administrator, in: elsewhere), permission, inCommunity: community))
        }
        #expect(!AccessPolicy.allows([], .administer, inCommunity: community))
    }
}

@Suite struct CryptoTests {
    @Test func hmacMatchesRFC4231() {
        let mac = Crypto.hmacSHA256(key: Array("Jefe".utf8), message: Array("what do ya want for nothing?".utf8))
        #expect(Data(mac).hexString == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
    }

    @Test func sha256MatchesFIPSVector() {
        #expect(Data(Crypto.sha256(Array("abc".utf8))).hexString
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func scryptMatchesRFC7914() throws {
        let key = try #require(Crypto.scrypt(
            password: Array("password".utf8), salt: Array("NaCl".utf8), parameters: .init(logN: 10, r: 8, p: 16), length: 64))
        #expect(Data(key).hexString.hasPrefix("fdbabe1c9d3472007856e7190d01e9fe7c6ad7cbc8237830e77376634b373162"))
    }

    @Test func passwordHashesVerifyAndDiffer() {
        let hasher = PasswordHasher(parameters: .init(logN: 10))
        let first = hasher.hash("correct horse battery")
        let second = hasher.hash("correct horse battery")
        #expect(first != second, "each hash has its own salt")
        #expect(hasher.verify("correct horse battery", against: first))
        #expect(!hasher.verify("correct horse batterY", against: first))
        #expect(!hasher.verify("anything", against: "scrypt$10$8$1$bm90$bm90"))
        #expect(!hasher.verify("anything", against: "plain-text"))
    }

    @Test func productionCostIsAtLeastTwoToTheFifteenth() {
        let stored = PasswordHasher().hash("a password of ten")
        let parts = stored.split(separator: "$")
        #expect(parts[0] == "scrypt")
        #expect(Int(parts[1])! >= 15)
        #expect(PasswordHasher().verify("a password of ten", against: stored))
    }

    @Test func constantTimeComparison() {
        #expect(Crypto.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!Crypto.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!Crypto.constantTimeEquals([1, 2], [1, 2, 3]))
    }

    @Test func csrfTokensAreBoundToTheirSession() {
        let csrf = CSRFProtection(secretKey: Array("k".utf8))
        let token = csrf.token(binding: [1, 2, 3])
        #expect(csrf.isValid(token, binding: [1, 2, 3]))
        #expect(!csrf.isValid(token, binding: [1, 2, 4]))
        #expect(!csrf.isValid("", binding: [1, 2, 3]))
        #expect(!CSRFProtection(secretKey: Array("other".utf8)).isValid(token, binding: [1, 2, 3]))
    }

    @Test func documentNumbersAreNormalisedBeforeHashing() {
        let hasher = IdentityDocumentHasher(secretKey: Array("secret".utf8))
        #expect(hasher.hash(type: .passportBooklet, number: "мн 123-456") == hasher.hash(type: .passportBooklet, number: "МН123456"))
        #expect(hasher.hash(type: .passportBooklet, number: "МН123456") != hasher.hash(type: .idCard, number: "МН123456"))
        #expect(hasher.hash(type: .idCard, number: "000123456") != IdentityDocumentHasher(secretKey: Array("other".utf8)).hash(type: .idCard, number: "000123456"))
    }
}

@Suite struct AccountRulesTests {
    @Test func signUpChecks() {
        #expect(AccountRules.signUpErrors(email: "a@b.ua", fullName: "Ім'я", password: "0123456789").isEmpty)
        let errors = AccountRules.signUpErrors(email: "not-an-email", fullName: "  ", password: "short")
        #expect(errors == ["email": "signup.error.email", "full_name": "signup.error.full_name", "password": "signup.error.password_length"])
        #expect(AccountRules.normalizedEmail("  Olena@Example.UA ") == "olena@example.ua")
    }

    @Test func verificationClaimsChecks() {
        let today = CalendarDay(year: 2026, month: 11, day: 27)
        let good = IdentityClaims(fullName: "Ірина", birthDate: CalendarDay(year: 1996, month: 5, day: 1), isResident: true,
                                  documentType: .idCard, documentNumber: "001234567")
        #expect(good.errors(today: today).isEmpty)
        var future = good
        future.birthDate = CalendarDay(year: 2027, month: 1, day: 1)
        #expect(future.errors(today: today)["birth_date"] != nil)
        var shortNumber = good
        shortNumber.documentNumber = "12-3"
        #expect(shortNumber.errors(today: today)["document_number"] != nil)
    }

    @Test func agesCountWholeYears() {
        let birth = CalendarDay(year: 2010, month: 11, day: 28)
        #expect(birth.years(until: CalendarDay(year: 2026, month: 11, day: 27)) == 15)
        #expect(birth.years(until: CalendarDay(year: 2026, month: 11, day: 28)) == 16)
        let leap = CalendarDay(year: 2008, month: 2, day: 29)
        #expect(leap.years(until: CalendarDay(year: 2024, month: 2, day: 28)) == 15)
        #expect(leap.years(until: CalendarDay(year: 2024, month: 2, day: 29)) == 16)
    }

    @Test func calendarDaysRoundTripAndRejectImpossibleDates() {
        #expect(CalendarDay(iso: "2026-02-30") == nil)
        #expect(CalendarDay(iso: "2026-13-01") == nil)
        #expect(CalendarDay(iso: "2024-02-29") == CalendarDay(year: 2024, month: 2, day: 29))
        #expect(CalendarDay(year: 1970, month: 1, day: 1).daysSinceEpoch == 0)
        #expect(CalendarDay(daysSinceEpoch: -1) == CalendarDay(year: 1969, month: 12, day: 31))
        #expect(CalendarDay(year: 2026, month: 11, day: 27).isoWeekday == 5)
    }

    @Test func communitySlugs() {
        #expect(Community.isValidSlug("khmelnytskyi"))
        #expect(Community.isValidSlug("kamianets-podilskyi"))
        #expect(!Community.isValidSlug("api"))
        #expect(!Community.isValidSlug("Khmelnytskyi"))
        #expect(!Community.isValidSlug("-x"))
        #expect(!Community.isValidSlug("x"))
    }

    @Test func missingSettingsTakeDefaults() throws {
        let settings = try JSONResponse.decoder.decode(CommunitySettings.self, from: Data(#"{"petitions": {"signature_threshold": 250}}"#.utf8))
        #expect(settings.petitions.signatureThreshold == 250)
        #expect(settings.petitions.collectionDays == 90)
        #expect(settings.budget.maximumProjectCostUAH == 150_000)
    }
}

@Suite struct CatalogueTests {
    let catalogue: TranslationCatalogue

    init() throws {
        catalogue = try TranslationCatalogue.load(from: AppResources.catalogueURL)
    }

    @Test func everyKeyHasBothLanguages() {
        for (key, texts) in catalogue.entries {
            for language in Language.allCases {
                #expect(!(texts[language] ?? "").isEmpty, "\(key) has no \(language.rawValue) text")
            }
        }
    }

    @Test func noKeyHidesAnother() {
        #expect(catalogue.shadowedKeys.isEmpty)
    }

    @Test func everyTemplateStringIsInTheCatalogue() throws {
        let directory = AppResources.templatesDirectory
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".mustache") }
        #expect(!files.isEmpty)
        let pattern = try Regex(#"\{\{[#^/]?t\.([a-z0-9_.\-]+)\}\}"#)
        for file in files {
            let text = try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            for match in text.matches(of: pattern) {
                let key = String(match.output[1].substring!)
                #expect(catalogue.entries[key] != nil, "\(file) uses \(key), which the catalogue lacks")
            }
        }
    }

    @Test func countsTakeTheirPluralForm() {
        let ukrainian = [1: "1 голос", 2: "2 голоси", 4: "4 голоси", 5: "5 голосів", 11: "11 голосів", 12: "12 голосів", 21: "21 голос",
                         22: "22 голоси", 0: "0 голосів", 111: "111 голосів", 102: "102 голоси"]
        for (n, text) in ukrainian { #expect(catalogue.count("budget.vote_count", n, .uk) == text) }
        #expect(catalogue.count("budget.vote_count", 1, .en) == "1 vote" && catalogue.count("budget.vote_count", 21, .en) == "21 votes")
    }

    @Test func everyErrorKindHasATitle() {
        for kind in [AppError.Kind.badRequest, .validation, .unauthorized, .forbidden, .emailUnconfirmed, .csrf, .notFound, .conflict, .rateLimited, .unavailable, .internalError] {
            #expect(catalogue.entries[kind.titleKey] != nil, "\(kind)")
        }
    }
}

@Suite struct RequestSafetyTests {
    @Test func redirectsStayOnThisSite() {
        #expect(localRedirectTarget("/khmelnytskyi/petitions?list=answered") == "/khmelnytskyi/petitions?list=answered")
        for hostile in ["https://evil.example", "//evil.example", "/\t/evil.example", "/\\evil.example", "/\r\nSet-Cookie: x", "evil", "/\u{7F}"] {
            #expect(localRedirectTarget(hostile) == "/", "\(hostile.debugDescription)")
        }
        #expect(localRedirectTarget(nil, fallback: "/account") == "/account")
    }

    @Test func forwardedAddressesAreTakenOnlyPastTrustedProxies() {
        let proxies: Set<String> = ["10.0.0.2", "10.0.0.3"]
        #expect(ClientAddressMiddleware.client(forwardedFor: "203.0.113.9", trustedProxies: proxies) == "203.0.113.9")
        #expect(ClientAddressMiddleware.client(forwardedFor: "198.51.100.1, 203.0.113.9, 10.0.0.3", trustedProxies: proxies) == "203.0.113.9",
                "a client can prepend anything; only the hop our proxy saw counts")
        #expect(ClientAddressMiddleware.client(forwardedFor: "2001:db8::1", trustedProxies: proxies) == "2001:db8::1")
        #expect(ClientAddressMiddleware.client(forwardedFor: "<script>", trustedProxies: proxies) == nil)
        #expect(ClientAddressMiddleware.client(forwardedFor: "1.2.3", trustedProxies: proxies) == nil)
        #expect(ClientAddressMiddleware.client(forwardedFor: "abc", trustedProxies: proxies) == nil)
        #expect(ClientAddressMiddleware.client(forwardedFor: "10.0.0.2", trustedProxies: proxies) == nil)
    }
}
