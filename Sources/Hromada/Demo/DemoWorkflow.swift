import Foundation
import Postgres

extension DemoData {
    /// Routing rules, and appeals from the demo citizen in every stage: new, in progress,
    /// answered, and one past its due date, so the office's queues are not empty.
    func loadWorkflow(community: Community) async throws {
        let departments = Dictionary(uniqueKeysWithValues: try await services.communities.departments(of: community.id).map { ($0.slug, $0.id) })
        let routes: [(String, String, String)] = [
            ("*", "", "housing"), ("appeal", "street_lighting", "street-lighting"), ("appeal", "roads", "roads"),
            ("appeal", "housing", "housing"), ("appeal", "ecology", "ecology"), ("appeal", "land", "land"),
            ("appeal", "architecture", "architecture"),
        ]
        try await services.database.transaction { session in
            for (module, category, department) in routes {
                try await session.query(
                    "INSERT INTO routing_rules (community_id, module, category, department_id) VALUES ($1, $2, $3, $4)",
                    community.id, module, category, departments[department])
            }
        }

        let citizenViewer = try await viewer("citizen")
        let officialViewer = try await viewer("official")
        let headViewer = try await viewer("head")
        let official = officialViewer.person

        func submit(_ topic: AppealTopic, _ subject: String, _ body: String, _ address: String) async throws -> Document {
            try await services.appeals.submit(
                topic: topic.rawValue, subject: subject, body: body, address: address, by: citizenViewer, in: community, ip: nil).1
        }

        _ = try await submit(
            .streetLighting, "Не світить ліхтар біля зупинки «Центральний ринок»",
            "Уже тиждень увечері не працює ліхтар на опорі біля зупинки. Люди виходять з автобуса в повній темряві.",
            "вул. Проскурівська, 1")

        let inProgress = try await submit(
            .streetLighting, "Ліхтарі на вул. Зарічанській горять удень",
            "Освітлення на всій вулиці вмикається о 10 ранку і не вимикається до вечора. Просимо налаштувати таймер.",
            "вул. Зарічанська")
        try await services.workflow.perform(ActionRequest(.assign, assigneeID: official.id), documentID: inProgress.id, by: headViewer, community: community)
        try await services.workflow.perform(ActionRequest(.take), documentID: inProgress.id, by: officialViewer, community: community)
        try await services.workflow.perform(
            ActionRequest(.comment, comment: "Передано бригаді КП «Міськсвітло», огляд у четвер."),
            documentID: inProgress.id, by: officialViewer, community: community)

        let answered = try await submit(
            .streetLighting, "Прошу встановити освітлення у сквері на Дубовому",
            "У сквері між будинками 7 і 9 немає жодного ліхтаря, ввечері там небезпечно.", "мкр. Дубове")
        try await services.workflow.perform(ActionRequest(.take), documentID: answered.id, by: officialViewer, community: community)
        try await services.workflow.perform(
            ActionRequest(.answer, comment: "Освітлення скверу включено до плану робіт на наступний рік. Проєкт передбачає шість LED-світильників.",
                          outcome: "supported"),
            documentID: answered.id, by: officialViewer, community: community)

        let overdue = try await submit(
            .streetLighting, "Обірваний кабель освітлення на вул. Свободи",
            "Кабель зовнішнього освітлення звисає з опори на висоті людини. Це небезпечно.", "вул. Свободи, 23")
        // Registered five weeks ago, so its term has run out: it shows in the overdue queue.
        try await services.database.query(
            """
            UPDATE documents SET registered_at = now() - interval '35 days',
                                 registered_on = (now() AT TIME ZONE 'Europe/Kyiv')::date - 35,
                                 due_on = (now() AT TIME ZONE 'Europe/Kyiv')::date - 5
            WHERE id = $1
            """, overdue.id)
    }
}
