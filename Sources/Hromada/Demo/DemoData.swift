import Foundation
import Postgres

/// The demo community and one account per role, for `hromada seed-demo`. Every demo account
/// uses the e-mail domain `khmelnytskyi.demo` and the password `demo-password`.
public struct DemoData {
    public static let emailDomain = "khmelnytskyi.demo"
    public static let password = "demo-password"
    public static let communitySlug = "khmelnytskyi"

    public enum SeedError: Error, CustomStringConvertible {
        case realPeoplePresent(Int)
        case communityNotTheDemos(String)
        public var description: String {
            switch self {
            case .realPeoplePresent(let count):
                return "refusing to load demo data: the database holds \(count) people who are not demo accounts"
            case .communityNotTheDemos(let slug):
                return "refusing to load demo data: the community \(slug) exists and is not the demo's (it has no demo administrator)"
            }
        }
    }

    public enum Outcome: Equatable {
        case loaded
        case alreadyPresent
    }

    struct DemoPerson {
        var local: String
        var name: String
        var role: Role?
        var department: String?
        /// Verified in person, with this age in years on the day of loading.
        var verifiedAge: Int?
    }

    static let people = [
        DemoPerson(local: "admin", name: "Олена Адміністраторка", role: .administrator, department: nil, verifiedAge: nil),
        DemoPerson(local: "moderator", name: "Максим Модератор", role: .moderator, department: nil, verifiedAge: nil),
        DemoPerson(local: "head", name: "Галина Керівниця", role: .departmentHead, department: "street-lighting", verifiedAge: nil),
        DemoPerson(local: "official", name: "Остап Посадовець", role: .official, department: "street-lighting", verifiedAge: nil),
        DemoPerson(local: "citizen", name: "Ірина Мешканка", role: .citizen, department: nil, verifiedAge: 30),
        DemoPerson(local: "newcomer", name: "Назар Новачок", role: .citizen, department: nil, verifiedAge: nil),
        // Reviews the green-spaces category of the participatory budget.
        DemoPerson(local: "ecology", name: "Марта Зеленчук", role: .departmentHead, department: "ecology", verifiedAge: nil),
        // Staff of the administrative service centre: the identity-verification and in-person voting desks.
        DemoPerson(local: "desk", name: "Дарина Реєстраторка", role: .official, department: serviceCentre, verifiedAge: nil),
    ]

    /// The department marked as the community's administrative service centre.
    static let serviceCentre = "cnap"

    static let departments = [
        ("street-lighting", "Відділ вуличного освітлення", "Street Lighting Department"),
        ("housing", "Управління житлово-комунального господарства", "Housing and Utilities Department"),
        ("roads", "Управління дорожнього господарства", "Roads Department"),
        ("ecology", "Управління екології та контролю за благоустроєм", "Ecology and Public Amenities Department"),
        ("architecture", "Управління архітектури та містобудування", "Architecture and Urban Planning Department"),
        ("land", "Управління земельних ресурсів", "Land Resources Department"),
        ("cnap", "Центр надання адміністративних послуг", "Administrative Service Centre"),
    ]

    /// Days off under the Labour Code (art. 73). Under martial law they are working days; an
    /// administrator edits the calendar to match what is in force.
    static func holidays(year: Int) -> [(CalendarDay, String, String)] {
        [
            (CalendarDay(year: year, month: 1, day: 1), "Новий рік", "New Year"),
            (CalendarDay(year: year, month: 3, day: 8), "Міжнародний жіночий день", "International Women's Day"),
            (CalendarDay(year: year, month: 6, day: 28), "День Конституції України", "Constitution Day"),
            (CalendarDay(year: year, month: 8, day: 24), "День Незалежності України", "Independence Day"),
            (CalendarDay(year: year, month: 10, day: 1), "День захисників і захисниць України", "Defenders Day"),
            (CalendarDay(year: year, month: 12, day: 25), "Різдво Христове", "Christmas"),
        ]
    }

    let services: AppServices

    public init(services: AppServices) {
        self.services = services
    }

    /// Loads the demo data once; a second run finds it and changes nothing, whatever people did
    /// in the demo since (signing up included). Loading itself refuses a database that holds
    /// people who are not demo accounts, or a community of the demo's name that is not the demo.
    public func load(today: CalendarDay = KyivTime.day(of: Date())) async throws -> Outcome {
        let database = services.database
        let existing = try await database.query(
            """
            SELECT EXISTS (SELECT 1 FROM people WHERE email = $2) AS is_demo FROM communities WHERE slug = $1
            """, Self.communitySlug, "admin@" + Self.emailDomain)
        if let row = existing.first {
            guard try row.decode("is_demo", as: Bool.self) else { throw SeedError.communityNotTheDemos(Self.communitySlug) }
            return .alreadyPresent
        }
        let strangers = try await database.query(
            "SELECT count(*) AS n FROM people WHERE email NOT LIKE $1", "%@" + Self.emailDomain
        )[0].decode("n", as: Int.self)
        guard strangers == 0 else { throw SeedError.realPeoplePresent(strangers) }

        let passwordHash = try await services.accounts.hashPassword(Self.password)
        let verifications: [(personID: Int, age: Int, name: String, index: Int)]
        do {
            verifications = try await insertCommunityAndPeople(passwordHash: passwordHash, today: today)
        } catch let error as PostgresError where error.constraint == "communities_slug_key" {
            return .alreadyPresent  // another loader got there first
        }
        let community = try await services.communities.require(slug: Self.communitySlug)
        for entry in verifications {
            // Born 30 years and some months ago, so the age is the same all year round.
            let birthDate = CalendarDay(year: today.year - entry.age - 1, month: today.month, day: 1).adding(days: 200)
            let claims = IdentityClaims(
                fullName: entry.name, birthDate: birthDate, isResident: true, documentType: .idCard,
                documentNumber: String(format: "DEMO%06d", entry.index + 1))
            try await services.verifications.record(
                claims, source: "in_person", personID: entry.personID, communityID: community.id, verifiedBy: nil, ip: nil)
        }
        try await loadWorkflow(community: community)
        try await loadPetitions(community: community, passwordHash: passwordHash)
        try await loadBudget(community: community, today: today)
        try await loadOpenCity(community: community)
        try await loadConsultations(community: community, today: today)
        try await loadGeoportal(community: community)
        return .loaded
    }

    /// The community, its departments and holidays, and the demo people with their roles, in one
    /// transaction. Returns the people to verify.
    private func insertCommunityAndPeople(passwordHash: String, today: CalendarDay) async throws
        -> [(personID: Int, age: Int, name: String, index: Int)]
    {
        try await services.database.transaction { session in
            let community = try await services.communities.create(
                slug: Self.communitySlug, nameUK: "Хмельницька міська територіальна громада",
                nameEN: "Khmelnytskyi City Territorial Community", on: session)
            var departmentIDs: [String: Int] = [:]
            for (slug, nameUK, nameEN) in Self.departments {
                departmentIDs[slug] = try await services.communities.addDepartment(
                    to: community.id, slug: slug, nameUK: nameUK, nameEN: nameEN, isServiceCentre: slug == Self.serviceCentre,
                    on: session).id
            }
            for year in [today.year, today.year + 1] {
                for (day, nameUK, nameEN) in Self.holidays(year: year) {
                    try await session.query(
                        "INSERT INTO holidays (community_id, day, name_uk, name_en) VALUES ($1, $2, $3, $4)",
                        community.id, day, nameUK, nameEN)
                }
            }
            var pending: [(personID: Int, age: Int, name: String, index: Int)] = []
            for (index, person) in Self.people.enumerated() {
                let id = try await session.query(
                    "INSERT INTO people (email, password_hash, full_name) VALUES ($1, $2, $3) RETURNING id",
                    "\(person.local)@\(Self.emailDomain)", passwordHash, person.name)[0].decode("id", as: Int.self)
                if let role = person.role {
                    try await session.query(
                        "INSERT INTO role_grants (community_id, person_id, role, department_id) VALUES ($1, $2, $3, $4)",
                        community.id, id, role.rawValue, person.department.flatMap { departmentIDs[$0] })
                }
                if let age = person.verifiedAge { pending.append((id, age, person.name, index)) }
            }
            try await AuditLog.record(
                AuditEntry(actorID: nil, communityID: community.id, action: "demo.load", summary: "demo data loaded"), on: session)
            return pending
        }
    }
}
