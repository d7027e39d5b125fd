import Foundation
import Postgres

extension DemoData {
    /// Six hundred verified residents and petitions in every state, with signatures spread over
    /// the past days: one collecting, one under consideration, one answered, one rejected, one that
    /// ended short and went on as an appeal, and one awaiting moderation.
    func loadPetitions(community: Community, passwordHash: String) async throws {
        let residents = try await services.database.transaction { session in
            try await Self.addResidents(600, prefix: "demo", communityID: community.id, passwordHash: passwordHash, on: session)
        }
        let departments = Dictionary(uniqueKeysWithValues: try await services.communities.departments(of: community.id).map { ($0.slug, $0.id) })
        try await services.database.query(
            "INSERT INTO routing_rules (community_id, module, category, department_id) VALUES ($1, 'petition', 'street_lighting', $2)",
            community.id, departments["street-lighting"])
        let moderator = try await viewer("moderator")
        func author(_ index: Int) -> Viewer {
            Viewer(person: Person(id: residents[index], email: "", fullName: "", language: .uk), grants: [], sessionTokenHash: [])
        }
        func petition(_ title: String, _ body: String, category: String = "", by writer: Viewer) async throws -> Int {
            try await services.petitions.submit(title: title, body: body, category: category, by: writer, in: community,
                                                verifications: services.verifications, ip: nil).id
        }
        func publish(_ id: Int, daysAgo: Int, signers: ArraySlice<Int>) async throws {
            try await services.petitions.moderate(id, publish: true, reason: nil, text: "", by: moderator, in: community, ip: nil)
            try await services.database.transaction { session in
                try await session.query(
                    """
                    UPDATE petitions SET created_at = now() - make_interval(days => $2::int + 2),
                           collection_starts_on = current_date - $2::int, collection_ends_on = current_date - $2::int + $3::int - 1
                    WHERE id = $1
                    """, id, daysAgo, community.settings.petitions.collectionDays)
                let added = try await session.query(
                    """
                    INSERT INTO petition_signatures (petition_id, person_id, signed_at, ip, email_domain)
                    SELECT $1, person, now() - random() * make_interval(days => $3::int),
                           ('10.' || (person % 200) || '.' || (person % 250) || '.' || (1 + person % 200))::inet, 'khmelnytskyi.demo'
                    FROM unnest($2::bigint[]) AS person
                    ON CONFLICT DO NOTHING RETURNING 1
                    """, id, Array(signers), max(1, daysAgo))
                try await session.query(
                    "UPDATE petition_signature_counts SET signatures = signatures + $2 WHERE petition_id = $1 AND shard = (SELECT min(shard) FROM petition_signature_counts WHERE petition_id = $1)",
                    id, added.count)
            }
        }

        let collecting = try await petition(
            "Облаштувати велодоріжку на вулиці Кам'янецькій",
            "Вулиця Кам'янецька — головний шлях із мікрорайонів Озерна і Дубове до центру. Щодня нею їздять сотні велосипедистів просто серед автомобілів. Просимо облаштувати відокремлену велодоріжку з обох боків вулиці.",
            category: "roads", by: author(0))
        try await publish(collecting, daysAgo: 12, signers: residents[0..<347])

        let consideration = try await petition(
            "Зберегти сквер на розі Подільської та Грушевського",
            "У сквері ростуть сорокарічні липи, тут гуляють діти і люди похилого віку. Просимо не надавати цю ділянку під забудову і внести сквер до переліку об'єктів благоустрою міста.",
            category: "ecology", by: author(1))
        try await publish(consideration, daysAgo: 30, signers: residents[1..<513])
        try await services.petitions.reachThreshold(consideration, community: community)

        let answered = try await petition(
            "Замінити ліхтарі у Старому місті на енергоощадні",
            "Вуличні ліхтарі в історичному центрі старі й тьмяні, споживають багато електроенергії. Просимо замінити їх на сучасні LED-світильники з теплим світлом, що пасують до забудови.",
            category: "street_lighting", by: author(2))
        try await publish(answered, daysAgo: 60, signers: residents[2..<532])
        try await services.petitions.reachThreshold(answered, community: community)
        if let document = try await services.workflow.find(sourceType: PetitionSource.type, sourceID: String(answered), communityID: community.id) {
            let head = try await viewer("head")
            let official = try await viewer("official")
            try await services.workflow.perform(ActionRequest(.assign, assigneeID: official.person.id), documentID: document.id, by: head, community: community)
            try await services.workflow.perform(
                ActionRequest(.answer, comment: "Петицію підтримано частково. У 2027 році буде замінено 240 світильників на вулицях Проскурівській, Соборній і Кам'янецькій; решту — після завершення програми енергоефективності.",
                              outcome: "partly_supported"),
                documentID: document.id, by: official, community: community)
        }

        let rejected = try await petition(
            "Заборонити продаж алкоголю по всій Україні після 22:00",
            "Пропонуємо заборонити продаж алкогольних напоїв у всіх магазинах країни з 22:00 до 8:00, щоб зменшити кількість правопорушень у нічний час.",
            by: author(3))
        try await services.petitions.moderate(
            rejected, publish: false, reason: .outsideCompetence,
            text: "Заборона продажу по всій країні належить до повноважень Верховної Ради; міська рада може встановлювати обмеження лише на своїй території.",
            by: moderator, in: community, ip: nil)

        let short = try await petition(
            "Відремонтувати тротуар на вулиці Шевченка від школи №3",
            "Тротуар від школи №3 до зупинки весь у вибоїнах, після дощу там стоять калюжі по щиколотку. Діти ходять проїжджою частиною. Просимо відремонтувати тротуар до нового навчального року.",
            category: "roads", by: author(4))
        try await publish(short, daysAgo: 95, signers: residents[4..<124])
        try await services.database.transaction { session in
            try await PetitionSweep(petitions: services.petitions).run(Job(id: 0, kind: PetitionSweep.kind, payload: [:], attempts: 1), on: session)
        }

        _ = try await petition(
            "Встановити громадські вбиральні в центрі міста",
            "У центрі міста немає жодної безкоштовної громадської вбиральні. Просимо встановити щонайменше дві — біля Центрального ринку і на Майдані Незалежності.",
            by: author(5))
    }

    func viewer(_ local: String) async throws -> Viewer {
        guard let viewer = try await services.accounts.viewer(email: "\(local)@\(Self.emailDomain)") else { throw AppError.notFound }
        return viewer
    }
}
