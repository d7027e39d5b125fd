import Foundation
import Postgres

extension DemoData {
    /// The demo Open311 key, so the standard API can be tried at once (`api_key=demo-open311-key`).
    public static let open311Key = "demo-open311-key"

    /// Report categories routed to the demo departments, and reports around the city in every
    /// status, each taken through the real steps (filing, moderation, the workflow's answer).
    func loadOpenCity(community: Community) async throws {
        let departments = Dictionary(uniqueKeysWithValues: try await services.communities.departments(of: community.id).map { ($0.slug, $0.id) })
        let admin = try await viewer("admin")
        let pothole = ServiceAttribute(
            code: "size", datatype: "singlevaluelist", required: false, descriptionUK: "Розмір вибоїни", descriptionEN: "Size of the pothole",
            values: [.init(key: "small", nameUK: "до 30 см", nameEN: "up to 30 cm"), .init(key: "medium", nameUK: "30–100 см", nameEN: "30–100 cm"),
                     .init(key: "large", nameUK: "понад 1 м", nameEN: "over 1 m")])
        let categories: [(code: String, uk: String, en: String, department: String, days: Int, attributes: [ServiceAttribute])] = [
            ("roads", "Дороги й тротуари", "Roads and pavements", "roads", 15, [pothole]),
            ("street_lighting", "Вуличне освітлення", "Street lighting", "street-lighting", 7, []),
            ("waste", "Сміття та стихійні звалища", "Waste and dumps", "housing", 5, []),
            ("green_spaces", "Зелені насадження", "Green spaces", "ecology", 15, []),
            ("water_sewage", "Водопостачання та каналізація", "Water and sewage", "housing", 3, []),
            ("illegal_construction", "Самочинне будівництво", "Illegal construction", "architecture", 15, []),
        ]
        for category in categories {
            try await services.reports.addCategory(
                code: category.code, nameUK: category.uk, nameEN: category.en, departmentID: departments[category.department],
                responseDays: category.days, attributes: category.attributes, by: admin, communityID: community.id, ip: nil)
        }
        try await services.database.query(
            "INSERT INTO open311_applications (community_id, name, key_hash) VALUES ($1, 'Demo client', $2)",
            community.id, Data(Crypto.sha256(Array(Self.open311Key.utf8))))

        let ids = Dictionary(uniqueKeysWithValues: try await services.reports.categories(of: community.id).map { ($0.code, $0.id) })
        let residents = try await services.database.query(
            "SELECT id FROM people WHERE email LIKE 'resident-demo-%' ORDER BY id LIMIT 60").map { try $0.decode("id", as: Int.self) }
        let moderator = try await viewer("moderator")
        let head = try await viewer("head")
        func resident(_ index: Int) -> Viewer {
            Viewer(person: Person(id: residents[index % residents.count], email: "", fullName: "", language: .uk), grants: [], sessionTokenHash: [])
        }
        let problems: [(String, Double, Double, String, String)] = [
            ("street_lighting", 49.4221, 26.9962, "вул. Проскурівська, 41", "Не світить ліхтар біля зупинки, ввечері зовсім темно."),
            ("street_lighting", 49.4160, 26.9790, "вул. Кам'янецька, 2", "Ліхтар блимає всю ніч, заважає спати мешканцям."),
            ("roads", 49.4275, 26.9920, "вул. Зарічанська, 10", "Глибока вибоїна на проїжджій частині, машини об'їжджають зустрічною."),
            ("roads", 49.4190, 27.0040, "вул. Свободи, 55", "Провалився асфальт на тротуарі біля під'їзду."),
            ("waste", 49.4320, 26.9700, "вул. Старокостянтинівське шосе, 20", "Стихійне звалище будівельного сміття за гаражами."),
            ("green_spaces", 49.4240, 26.9850, "сквер Чорновола", "Аварійне дерево нахилилося над дитячим майданчиком."),
            ("water_sewage", 49.4130, 26.9900, "вул. Подільська, 7", "Відкритий каналізаційний люк на тротуарі."),
            ("illegal_construction", 49.4350, 27.0100, "вул. Трудова, 5", "Будують кіоск на газоні без жодних дозволів."),
            ("roads", 49.4210, 26.9600, "вул. Тернопільська, 14", "Зруйнований бордюр на пішохідному переході."),
            ("street_lighting", 49.4290, 27.0150, "вул. Шевченка, 60", "Не працює освітлення у дворі вже тиждень."),
        ]
        var filed: [Int] = []
        for (index, problem) in problems.enumerated() {
            filed.append(try await services.reports.file(
                ReportDraft(categoryID: ids[problem.0], location: GeoPoint(latitude: problem.1, longitude: problem.2), address: problem.3,
                            description: problem.4, attributes: problem.0 == "roads" ? ["size": "medium"] : [:]),
                by: .person(resident(index)), community: community, ip: nil))
        }
        // Moderation: most are accepted, one is rejected, one merged as a duplicate, two wait.
        for index in [0, 1, 2, 3, 4, 5, 6, 9] { try await services.reports.accept(filed[index], by: moderator, community: community, ip: nil) }
        try await services.reports.reject(filed[7], reason: "Земельна ділянка приватна; звернення передано до інспекції ДАБК як звичайне звернення.",
                                         by: moderator, community: community, ip: nil)
        try await services.reports.support(filed[0], by: resident(20), communityID: community.id, ip: nil)
        try await services.reports.support(filed[0], by: resident(21), communityID: community.id, ip: nil)
        try await services.reports.support(filed[2], by: resident(22), communityID: community.id, ip: nil)
        // The lighting department answers: one resolved, one in progress.
        for (index, answer) in [(0, "Замінено лампу та пускорегулювальний апарат, освітлення працює."), (1, "")] {
            guard let document = try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: String(filed[index]),
                                                                  communityID: community.id) else { continue }
            try await services.workflow.perform(ActionRequest(.take), documentID: document.id, by: head, community: community)
            if !answer.isEmpty {
                try await services.workflow.perform(ActionRequest(.answer, comment: answer, outcome: "resolved"), documentID: document.id, by: head,
                                                    community: community)
            }
        }
        // A few hundred older reports spread over the city, so the map and lists look lived in.
        var generator = SystemRandomNumberGenerator()
        for index in 0..<120 {
            let code = categories[index % categories.count].code
            let id = try await services.reports.file(
                ReportDraft(categoryID: ids[code], location: GeoPoint(latitude: 49.39 + Double.random(in: 0..<0.07, using: &generator),
                                                                      longitude: 26.93 + Double.random(in: 0..<0.11, using: &generator)),
                            address: "", description: "Звернення мешканця №\(index + 1): проблему помічено під час прогулянки."),
                by: .person(resident(index)), community: community, ip: nil)
            if index % 3 != 0 { try await services.reports.accept(id, by: moderator, community: community, ip: nil) }
        }
        try await services.database.query(
            "UPDATE reports SET created_at = now() - (id % 80) * interval '1 day', updated_at = now() - (id % 80) * interval '1 day' WHERE community_id = $1 AND description LIKE 'Звернення мешканця%'",
            community.id)
        try await services.database.query("ANALYZE reports")
    }
}
