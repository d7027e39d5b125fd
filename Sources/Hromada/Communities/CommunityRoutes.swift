import Hummingbird

/// `/` (the communities of this deployment) and `/{community}` (a community's home).
struct CommunityRoutes {
    let services: AppServices

    /// The participation modules in the order the home page shows them. `available` turns a card
    /// into a link once its module is built.
    static let modules: [(key: String, path: String, available: Bool)] = [
        ("petitions", "petitions", true), ("consultations", "consultations", true), ("reports", "reports", true),
        ("budget", "budget", true), ("map", "map", true), ("appeals", "appeals", true),
    ]

    func register(on router: Router<AppRequestContext>) {
        router.get("/") { request, context in
            let communities = try await services.communities.all()
            let page = Page(
                "communities", titleKey: "communities.title",
                values: ["communities": communities.map { ["slug": $0.slug, "name": $0.name(context.language)] }])
            return services.renderer.response(page, request: request, context: context)
        }

        router.get("/{community}") { request, context in
            let community = try await services.community(context)
            let departments = try await services.communities.departments(of: community.id)
            let t = services.catalogue
            let modules = Self.modules.map { module -> [String: Any] in
                [
                    "title": t.text("module.\(module.key).title", context.language),
                    "summary": t.text("module.\(module.key).summary", context.language),
                    "href": "/\(community.slug)/\(module.path)", "available": module.available,
                ]
            }
            let page = Page(
                "community", titleKey: "community.title", titleText: community.name(context.language), community: community,
                values: [
                    "modules": modules,
                    "departments": departments.map { ["name": $0.name(context.language)] },
                    "record": try await services.workflow.record(of: community.id).map { record -> [String: Any] in
                        [
                            "department": context.language == .en ? record.departmentName.en : record.departmentName.uk,
                            "registered": record.registered, "answered": record.answered, "on_time": record.answeredOnTime,
                            "overdue": record.overdueNow,
                        ]
                    },
                    "threshold": community.settings.petitions.signatureThreshold,
                    "collection_days": community.settings.petitions.collectionDays,
                ])
            return services.renderer.response(page, request: request, context: context)
        }
    }
}
