import Foundation
import Hummingbird
import Postgres

/// Administrators' settings of the workflow: the holiday calendar, the routing rules and the outbox.
struct WorkflowAdminRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/admin/workflow") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            return try await settingsPage(request, context, community: community)
        }
        router.post("/{community}/admin/holidays") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            guard let day = CalendarDay(iso: form["day"]), !form["name"].isEmpty, form["name"].count <= 200 else {
                return try await settingsPage(request, context, community: community, form: form,
                    error: AppError(.validation, fieldErrors: ["day": "admin.error.holiday"]))
            }
            try await services.database.transaction { session in
                try await session.query(
                    """
                    INSERT INTO holidays (community_id, day, name_uk, name_en) VALUES ($1, $2, $3, $3)
                    ON CONFLICT (community_id, day) DO UPDATE SET name_uk = EXCLUDED.name_uk, name_en = EXCLUDED.name_en
                    """, community.id, day, form["name"])
                try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "holiday.add",
                                                     objectType: "holiday", objectID: day.isoString, summary: form["name"], ip: context.clientIP), on: session)
            }
            return services.redirect(to: "/\(community.slug)/admin/workflow", flash: "admin.saved")
        }
        router.post("/{community}/admin/holidays/{day}/delete") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            guard let day = CalendarDay(iso: try context.parameters.require("day")) else { throw AppError.notFound }
            try await services.database.transaction { session in
                try await session.query("DELETE FROM holidays WHERE community_id = $1 AND day = $2", community.id, day)
                try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "holiday.remove",
                                                     objectType: "holiday", objectID: day.isoString, ip: context.clientIP), on: session)
            }
            return services.redirect(to: "/\(community.slug)/admin/workflow", flash: "admin.saved")
        }
        router.post("/{community}/admin/routing") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            let departments = Set(try await services.communities.departments(of: community.id).map(\.id))
            let keys = Self.routingKeys
            try await services.database.transaction { session in
                for key in keys {
                    let field = "route_\(key.module)_\(key.category)"
                    if let department = Int(form[field]), departments.contains(department) {
                        try await session.query(
                            """
                            INSERT INTO routing_rules (community_id, module, category, department_id) VALUES ($1, $2, $3, $4)
                            ON CONFLICT (community_id, module, category) DO UPDATE SET department_id = EXCLUDED.department_id
                            """, community.id, key.module, key.category, department)
                    } else if form[field].isEmpty {
                        try await session.query(
                            "DELETE FROM routing_rules WHERE community_id = $1 AND module = $2 AND category = $3",
                            community.id, key.module, key.category)
                    }
                }
                try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: community.id, action: "routing.update",
                                                     summary: "routing rules saved", ip: context.clientIP), on: session)
            }
            return services.redirect(to: "/\(community.slug)/admin/workflow", flash: "admin.saved")
        }
        router.get("/{community}/admin/outbox") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            let messages = try await Outbox.recent(in: community.id, database: services.database)
            let page = Page(
                "outbox", titleKey: "outbox.title", community: community,
                values: [
                    "delivers": services.mailTransport != nil,
                    "messages": messages.map { message -> [String: Any] in
                        var values: [String: Any] = [
                            "to": message.to, "subject": message.subject, "body": message.body,
                            "at": KyivTime.minute(of: message.createdAt),
                            "status": services.catalogue.text("outbox.status.\(message.status)", context.language),
                        ]
                        if let error = message.lastError { values["error"] = error }
                        return values
                    },
                ])
            return services.renderer.response(page, request: request, context: context)
        }
    }

    /// The (module, category) pairs an administrator routes: the community default, then appeals
    /// and petitions by topic.
    static var routingKeys: [(module: String, category: String)] {
        [("*", "")] + [AppealSource.type, PetitionSource.type].flatMap { module in AppealTopic.allCases.map { (module, $0.rawValue) } }
    }


    private func settingsPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let departments = try await services.communities.departments(of: community.id)
        let rules = try await services.database.query(
            "SELECT module, category, department_id FROM routing_rules WHERE community_id = $1", community.id)
        var current: [String: Int] = [:]
        for row in rules {
            current["\(try row.decode("module", as: String.self))_\(try row.decode("category", as: String.self))"] = try row.decode("department_id")
        }
        let holidays = try await services.database.query(
            "SELECT day, name_uk, name_en FROM holidays WHERE community_id = $1 AND day >= current_date - 31 ORDER BY day", community.id)
        var page = Page(
            "workflow-settings", titleKey: "admin.workflow.title", community: community,
            values: [
                "routes": Self.routingKeys.map { key -> [String: Any] in
                    let label = key.module == "*" ? t.text("admin.routing.default", language)
                        : t.text("admin.routing.module.\(key.module)", language) + ": " + t.text("appeal.topics.\(key.category)", language)
                    let selected = current["\(key.module)_\(key.category)"]
                    return ["field": "route_\(key.module)_\(key.category)", "label": label,
                            "departments": departments.map { ["id": $0.id, "name": $0.name(language), "selected": $0.id == selected] as [String: Any] }]
                },
                "holidays": try holidays.map { row -> [String: Any] in
                    let day: CalendarDay = try row.decode("day")
                    return ["day": day.isoString, "name": try row.decode(language == .en ? "name_en" : "name_uk", as: String.self)]
                },
                "day": form?["day"] ?? "", "name": form?["name"] ?? "",
            ])
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
