import Foundation
import Postgres

extension DemoData {
    /// Two consultations of the street lighting department: one open, with comments and survey
    /// answers, and one that ended and has its report, both through the real steps.
    func loadConsultations(community: Community, today: CalendarDay) async throws {
        let head = try await viewer("head")
        let citizen = try await viewer("citizen")
        guard let lighting = try await services.communities.departments(of: community.id).first(where: { $0.slug == "street-lighting" }) else { return }
        let residents = try await services.database.query(
            "SELECT id FROM people WHERE email LIKE 'resident-demo-%' ORDER BY id LIMIT 40").map { try $0.decode("id", as: Int.self) }
        func resident(_ index: Int) -> Viewer {
            Viewer(person: Person(id: residents[index], email: "", fullName: "", language: .uk),
                   grants: [RoleGrant(id: 0, communityID: community.id, role: .citizen)], sessionTokenHash: [])
        }
        let sections = """
            ## Загальні положення
            Програма визначає порядок модернізації вуличного освітлення Хмельницької громади на 2027–2030 роки.
            ## Заміна світильників
            Щороку замінювати не менше 1 500 натрієвих світильників на світлодіодні з теплою температурою кольору (до 3 000 К).
            ## Нічне зниження яскравості
            З 00:00 до 05:00 знижувати яскравість на другорядних вулицях до 50 %, на пішохідних переходах — не знижувати.
            ## Фінансування
            Програма фінансується з бюджету громади та за рахунок енергосервісних договорів.
            """
        let survey = """
            ? Чи підтримуєте ви нічне зниження яскравості? [single]
            - Так
            - Так, але не біля шкіл і зупинок
            - Ні
            ? Які вулиці модернізувати насамперед? [multiple 2]
            - Центральні вулиці
            - Вулиці біля шкіл і садочків
            - Околиці й приватний сектор
            - Парки та сквери
            ? Оцініть нинішнє освітлення вашої вулиці [scale 1-5]
            ? Ваші пропозиції [text]
            """
        func open(_ title: String, startsOn: CalendarDay, endsOn: CalendarDay) async throws -> Int {
            try await services.consultations.create(
                ConsultationDraft(title: title, question: "Чи підтримуєте ви запропоновану програму модернізації вуличного освітлення?",
                                  departmentID: lighting.id, affected: "Усі мешканці громади, водії та пішоходи", startsOn: startsOn, endsOn: endsOn,
                                  format: .both, participation: .verified, minimumAge: 14, moderation: .post, sectionsText: sections,
                                  surveyText: survey, documentsText: "Повний текст програми | https://khm.gov.ua/"),
                by: head, community: community, ip: nil)
        }
        func takePart(_ id: Int, people: Range<Int>) async throws {
            let questions = try await services.consultations.questions(of: id)
            let firstSection = try await services.consultations.versions(of: id).first?.sections.first?.id
            for index in people {
                var fields = ["q\(questions[0].id)": String(index % 3), "q\(questions[1].id)_\(index % 4)": "on", "q\(questions[2].id)": String(1 + index % 5)]
                if index % 4 == 0 { fields["q\(questions[3].id)"] = "Додати освітлення на велодоріжках." }
                try await services.consultations.submit(try SurveyAnswers.read(FormData(values: fields), questions: questions).get(), to: id,
                                                        by: resident(index), community: community, verifications: services.verifications, ip: nil)
            }
            try await services.consultations.comment(on: id, sectionID: firstSection, parentID: nil,
                                                     body: "Пропоную додати окремий розділ про освітлення велодоріжок.", by: citizen,
                                                     community: community, verifications: services.verifications, ip: nil)
        }
        // An ended consultation: opened in the past by moving its dates, then closed and reported.
        let ended = try await open("Правила нічного освітлення парків і скверів", startsOn: today, endsOn: today.adding(days: 30))
        try await takePart(ended, people: 0..<18)
        try await services.database.query(
            "UPDATE consultations SET starts_on = $2, ends_on = $3 WHERE id = $1", ended, today.adding(days: -60), today.adding(days: -30))
        try await services.database.transaction { session in _ = try await ConsultationStore.closeEnded(on: session) }
        try await services.consultations.addConclusion(
            to: ended, proposal: "Додати окремий розділ про освітлення велодоріжок.", decision: "partly_accepted",
            reason: "Велодоріжки в парках включено до програми; інші — у програмі розвитку велоінфраструктури.", by: head, community: community, ip: nil)
        try await services.consultations.publishReport(
            of: ended, summary: "Більшість учасників підтримали нічне зниження яскравості з винятками для шкіл і зупинок; програму доопрацьовано.",
            by: head, community: community, ip: nil)

        let current = try await open("Програма модернізації вуличного освітлення на 2027–2030 роки", startsOn: today.adding(days: -5),
                                     endsOn: today.adding(days: 25))
        try await takePart(current, people: 20..<32)
        let comments = try await services.consultations.comments(of: current, viewer: nil, moderates: true)
        if let first = comments.first {
            try await services.consultations.support(first.id, consultationID: current, by: resident(21), communityID: community.id, ip: nil)
        }
    }
}
