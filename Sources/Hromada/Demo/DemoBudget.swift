import Foundation
import Postgres

extension DemoData {
    /// Two participatory budget cycles that went through the real steps (submission, review in
    /// the workflow, votes through the voting statement): last year's, with its results and a
    /// winner being built, and this year's, with voting open.
    func loadBudget(community: Community, today: CalendarDay) async throws {
        let residents = try await services.database.query(
            "SELECT id FROM people WHERE email LIKE 'resident-demo-%' ORDER BY id"
        ).map { try $0.decode("id", as: Int.self) }
        let departments = Dictionary(uniqueKeysWithValues: try await services.communities.departments(of: community.id).map { ($0.slug, $0.id) })
        let admin = try await viewer("admin")
        let reviewers = ["street-lighting": try await viewer("head"), "ecology": try await viewer("ecology")]
        func author(_ index: Int) -> Viewer {
            Viewer(person: Person(id: residents[index], email: "", fullName: "", language: .uk), grants: [], sessionTokenHash: [])
        }
        let projects: [(title: String, description: String, category: Int, lines: [CostLine], admitted: Bool)] = [
            ("Освітлення пішохідного переходу біля школи №12",
             "Встановити дві опори з LED-світильниками та знаки з підсвіткою на нерегульованому переході по вулиці Зарічанській, яким щодня ходять сотні дітей.",
             0, [CostLine(item: "Опора освітлення з монтажем", quantityHundredths: 200, unitPrice: 3_850_000),
                 CostLine(item: "Знак 5.35.1 з підсвіткою", quantityHundredths: 200, unitPrice: 1_240_000)], true),
            ("Камери відеоспостереження у сквері Чорновола",
             "Чотири камери з нічним режимом, підключені до міської системи безпеки, щоб у сквері було спокійно ввечері.",
             0, [CostLine(item: "Камера з монтажем і підключенням", quantityHundredths: 400, unitPrice: 2_150_000)], true),
            ("Світлофор з кнопкою виклику на Старокостянтинівському шосе",
             "Пішохідний світлофор з кнопкою виклику біля зупинки «Ринок»: перехід без світлофора небезпечний у години пік.",
             0, [CostLine(item: "Світлофорний об'єкт з кнопкою виклику", quantityHundredths: 100, unitPrice: 13_900_000)], true),
            ("Підсвітка вело- і пішохідної доріжки вздовж Південного Бугу",
             "Низькі світильники на сонячних батареях уздовж 800 метрів доріжки від Гідропарку до мосту на Проскурівській.",
             0, [CostLine(item: "Світильник на сонячній батареї", quantityHundredths: 4000, unitPrice: 360_000)], true),
            ("Велика новорічна ілюмінація на площі",
             "Гірлянди на всіх деревах центральної площі та світлова арка. Кошторис без монтажу, бо його зробить підрядник.",
             0, [CostLine(item: "Гірлянди та арка", quantityHundredths: 100, unitPrice: 14_500_000)], false),
            ("Дитячий майданчик на Виставковій",
             "Сучасний безпечний майданчик з гумовим покриттям, гойдалками, пісочницею і лавками для батьків на місці старого.",
             1, [CostLine(item: "Ігровий комплекс", quantityHundredths: 100, unitPrice: 8_900_000),
                 CostLine(item: "Гумове покриття, м²", quantityHundredths: 12_050, unitPrice: 42_000)], true),
            ("Сквер пам'яті на Заріччі",
             "Висадити 60 дерев, облаштувати доріжки, лавки та урни на пустирі між будинками по вулиці Заводській.",
             1, [CostLine(item: "Саджанці дерев з посадкою", quantityHundredths: 6000, unitPrice: 120_000),
                 CostLine(item: "Лавки та урни", quantityHundredths: 1000, unitPrice: 650_000)], true),
            ("Квіткові клумби на бульварі Гречка",
             "Багаторічні квіти на шести клумбах бульвару, з автоматичним поливом, щоб бульвар цвів з квітня до жовтня.",
             1, [CostLine(item: "Клумба з поливом", quantityHundredths: 600, unitPrice: 1_450_000)], true),
            ("Воркаут-майданчик біля озера",
             "Турніки, бруси та шведська стінка з антивандальним покриттям для всіх охочих займатися спортом на свіжому повітрі.",
             1, [CostLine(item: "Комплекс тренажерів", quantityHundredths: 100, unitPrice: 11_200_000)], true),
        ]

        /// Runs a cycle from submission through review; returns the ids of its projects.
        func runCycle(title: String, budgets: [Int], authorOffset: Int) async throws -> (BudgetCycle, [Int]) {
            var rules = BudgetRules(community.settings.budget)
            rules.votesPerVoter = 2
            let cycle = try await services.budget.createCycle(
                title: title,
                schedule: BudgetSchedule(submissionStartsOn: today, reviewStartsOn: today.adding(days: 1), votingStartsOn: today.adding(days: 2),
                                         resultsStartsOn: today.adding(days: 3), implementationStartsOn: today.adding(days: 4)),
                rules: rules, by: admin, communityID: community.id, ip: nil)
            try await services.budget.addCategory(to: cycle.id, nameUK: "Безпека та освітлення", nameEN: "Safety and lighting", budget: budgets[0],
                                                  departmentID: departments["street-lighting"], by: admin, communityID: community.id, ip: nil)
            try await services.budget.addCategory(to: cycle.id, nameUK: "Зелене місто та дозвілля", nameEN: "Green city and leisure", budget: budgets[1],
                                                  departmentID: departments["ecology"], by: admin, communityID: community.id, ip: nil)
            let categories = try await services.budget.categories(of: cycle.id)
            var ids: [Int] = []
            for (index, project) in projects.enumerated() {
                let draft = ProjectDraft(categoryID: categories[project.category].id, title: project.title, description: project.description,
                                         location: GeoPoint(latitude: 49.41 + Double(index) * 0.004, longitude: 26.96 + Double(index % 4) * 0.01),
                                         lines: project.lines)
                ids.append(try await services.budget.submit(draft, to: cycle.id, by: author(authorOffset + index), community: community,
                                                            verifications: services.verifications, ip: nil))
            }
            // Submission ends: the projects go to their departments.
            try await setSchedule(cycle.id, BudgetSchedule(
                submissionStartsOn: today.adding(days: -40), reviewStartsOn: today, votingStartsOn: today.adding(days: 1),
                resultsStartsOn: today.adding(days: 2), implementationStartsOn: today.adding(days: 3)))
            try await services.budget.advance(cycle.id, community: community)
            for (index, id) in ids.enumerated() {
                guard let document = try await services.workflow.find(sourceType: BudgetStore.sourceType, sourceID: String(id), communityID: community.id),
                      let reviewer = reviewers[projects[index].category == 0 ? "street-lighting" : "ecology"] else { continue }
                try await services.workflow.perform(ActionRequest(.take), documentID: document.id, by: reviewer, community: community)
                let admitted = projects[index].admitted
                try await services.workflow.perform(
                    ActionRequest(.answer, comment: admitted
                                  ? "Проєкт реалізовний, кошторис перевірено. Допущено до голосування."
                                  : "Кошторис не враховує монтаж і щорічне обслуговування; з ними вартість перевищує 150 000 грн.",
                                  outcome: admitted ? "admitted" : "rejected",
                                  fields: index == 6 ? ["corrected_cost": "132000"] : [:]),
                    documentID: document.id, by: reviewer, community: community)
            }
            return (cycle, ids)
        }

        /// Votes of `voters`, each for the projects `choose` picks, through the voting statement.
        func vote(_ ids: [Int], voters: ArraySlice<Int>, choose: (Int) -> [Int]) async throws {
            let requests = voters.flatMap { voter in
                choose(voter).filter { projects[$0].admitted }.map {
                    VoteRequest(projectID: ids[$0], personID: voter, communityID: community.id, channel: .online)
                }
            }
            let outcomes = try await services.database.transaction { session in try await BudgetStore.cast(requests, on: session) }
            guard outcomes.values.allSatisfy({ $0.refusal == nil }) else { throw AppError(.conflict, detailKey: "budget.refusal.no_votes_left") }
        }
        func preference(_ voter: Int) -> [Int] {
            // Lighting: mostly the school crossing, then the cameras; green: the playground and the square.
            [[0, 1], [0, 3], [1, 2], [0, 2]][voter % 4] + [[5, 6], [6, 8], [5, 7], [5, 6], [8, 7]][voter % 5]
        }

        let (past, pastIDs) = try await runCycle(title: "Громадський бюджет \(today.year)", budgets: [30_000_000, 25_000_000], authorOffset: 100)
        try await setSchedule(past.id, BudgetSchedule(
            submissionStartsOn: today.adding(days: -40), reviewStartsOn: today.adding(days: -20), votingStartsOn: today.adding(days: -1),
            resultsStartsOn: today.adding(days: 1), implementationStartsOn: today.adding(days: 2)))
        try await vote(pastIDs, voters: residents[0..<420], choose: preference)
        try await setSchedule(past.id, BudgetSchedule(
            submissionStartsOn: today.adding(days: -300), reviewStartsOn: today.adding(days: -250), votingStartsOn: today.adding(days: -220),
            resultsStartsOn: today.adding(days: -200), implementationStartsOn: today.adding(days: -180)))
        try await services.database.query(
            "UPDATE budget_projects SET submitted_at = submitted_at - interval '300 days' WHERE cycle_id = $1", past.id)
        try await services.budget.advance(past.id, community: community)
        let lighting = try await services.budget.categories(of: past.id)[0].id
        if let winner = try await services.budget.projects(of: past.id).first(where: { $0.implementation != nil && $0.categoryID == lighting }) {
            try await services.budget.postUpdate(
                on: winner.id, status: .inProgress, progress: 60, spent: winner.cost * 55 / 100,
                text: "Підрядника обрано через Prozorro, опори встановлено; лишилося підключення до мережі та знаки.",
                by: reviewers["street-lighting"]!, community: community, ip: nil)
        }

        let (current, currentIDs) = try await runCycle(title: "Громадський бюджет \(today.year + 1)", budgets: [35_000_000, 30_000_000], authorOffset: 200)
        try await setSchedule(current.id, BudgetSchedule(
            submissionStartsOn: today.adding(days: -60), reviewStartsOn: today.adding(days: -30), votingStartsOn: today.adding(days: -5),
            resultsStartsOn: today.adding(days: 10), implementationStartsOn: today.adding(days: 40)))
        try await vote(currentIDs, voters: residents[300..<480], choose: preference)
    }

    /// Moves a demo cycle's dates, as if time had passed.
    private func setSchedule(_ cycleID: Int, _ schedule: BudgetSchedule) async throws {
        try await services.database.query(
            """
            UPDATE budget_cycles SET submission_starts_on = $2, review_starts_on = $3, voting_starts_on = $4, results_starts_on = $5,
                                     implementation_starts_on = $6
            WHERE id = $1
            """, cycleID, schedule.submissionStartsOn, schedule.reviewStartsOn, schedule.votingStartsOn, schedule.resultsStartsOn,
            schedule.implementationStartsOn)
    }
}
