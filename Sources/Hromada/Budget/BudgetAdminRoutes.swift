import Foundation
import Hummingbird
import Postgres

/// `/{community}/admin/budget`: administrators open cycles, add categories and close phases early.
struct BudgetAdminRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/admin/budget") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            return try await cyclesPage(request, context, community: community)
        }

        router.post("/{community}/admin/budget") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            do {
                let (schedule, rules) = try Self.cycleFields(form)
                let cycle = try await services.budget.createCycle(
                    title: form["title"], schedule: schedule, rules: rules, by: viewer, communityID: community.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/admin/budget/\(cycle.id)", flash: "budget.cycle_created")
            } catch let error as AppError where error.kind == .validation {
                return try await cyclesPage(request, context, community: community, form: form, error: error)
            }
        }

        router.get("/{community}/admin/budget/{cycle}") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            let cycle = try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id)
            return try await cyclePage(request, context, community: community, cycle: cycle)
        }

        router.post("/{community}/admin/budget/{cycle}/categories") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let cycle = try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                try await services.budget.addCategory(
                    to: cycle.id, nameUK: form["name_uk"], nameEN: form["name_en"], budget: Money.hundredths(form["budget"]),
                    departmentID: Int(form["department"]), by: viewer, communityID: community.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/admin/budget/\(cycle.id)", flash: "budget.category_added")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await cyclePage(request, context, community: community, cycle: cycle, form: form, error: error)
            }
        }

        router.post("/{community}/admin/budget/{cycle}/close-phase") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let cycle = try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                try await services.budget.closeCurrentPhase(of: cycle.id, reason: form["reason"], by: viewer, community: community,
                                                            ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/admin/budget/\(cycle.id)", flash: "budget.phase_closed")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await cyclePage(request, context, community: community, cycle: cycle, form: form, error: error)
            }
        }
    }

    /// Reads the cycle form; a missing or malformed field is a validation error naming it.
    static func cycleFields(_ form: FormData) throws -> (BudgetSchedule, BudgetRules) {
        var errors: [String: String] = [:]
        func day(_ name: String) -> CalendarDay {
            if let day = CalendarDay(iso: form[name]) { return day }
            errors[name] = "budget.error.date"
            return CalendarDay(year: 2000, month: 1, day: 1)
        }
        func number(_ name: String) -> Int {
            if let value = Int(form[name]) { return value }
            errors[name] = "budget.error.count"
            return 0
        }
        let schedule = BudgetSchedule(
            submissionStartsOn: day("submission_starts_on"), reviewStartsOn: day("review_starts_on"), votingStartsOn: day("voting_starts_on"),
            resultsStartsOn: day("results_starts_on"), implementationStartsOn: day("implementation_starts_on"))
        let maximumCost = Money.hundredths(form["maximum_project_cost"])
        if maximumCost == nil { errors["maximum_project_cost"] = "budget.error.amount" }
        let scope = VoteScope(rawValue: form["vote_scope"])
        if scope == nil { errors["vote_scope"] = "budget.error.scope" }
        let rules = BudgetRules(
            maximumProjectCost: maximumCost ?? 0, authorMinimumAge: number("author_minimum_age"),
            maximumProjectsPerAuthor: number("maximum_projects_per_author"), voterMinimumAge: number("voter_minimum_age"),
            votesPerVoter: number("votes_per_voter"), voteScope: scope ?? .category, countsVisibleWhileVoting: form["counts_visible"] == "yes")
        errors.merge(rules.errors) { first, _ in first }
        if errors.isEmpty && !schedule.isOrdered { errors["dates"] = "budget.error.dates" }
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        return (schedule, rules)
    }

    private func cyclesPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let view = BudgetView(catalogue: services.catalogue, language: context.language, slug: community.slug, today: services.todayInKyiv)
        let defaults = BudgetRules(community.settings.budget)
        let today = view.today
        func field(_ name: String, _ fallback: String) -> String { form?[name] ?? fallback }
        var page = Page(
            "admin-budget", titleKey: "budget.admin_title", community: community,
            values: [
                "cycles": try await services.budget.cycles(communityID: community.id).map { cycle -> [String: Any] in
                    var values = view.values(cycle)
                    values["admin_href"] = "/\(community.slug)/admin/budget/\(cycle.id)"
                    return values
                },
                "title": field("title", ""),
                "submission_starts_on": field("submission_starts_on", today.isoString),
                "review_starts_on": field("review_starts_on", today.adding(days: 30).isoString),
                "voting_starts_on": field("voting_starts_on", today.adding(days: 60).isoString),
                "results_starts_on": field("results_starts_on", today.adding(days: 75).isoString),
                "implementation_starts_on": field("implementation_starts_on", today.adding(days: 90).isoString),
                "maximum_project_cost": field("maximum_project_cost", String(defaults.maximumProjectCost / 100)),
                "author_minimum_age": field("author_minimum_age", String(defaults.authorMinimumAge)),
                "maximum_projects_per_author": field("maximum_projects_per_author", String(defaults.maximumProjectsPerAuthor)),
                "voter_minimum_age": field("voter_minimum_age", String(defaults.voterMinimumAge)),
                "votes_per_voter": field("votes_per_voter", String(defaults.votesPerVoter)),
                "scopes": VoteScope.allCases.map {
                    ["value": $0.rawValue, "label": services.catalogue.text($0.titleKey, context.language),
                     "selected": field("vote_scope", defaults.voteScope.rawValue) == $0.rawValue] as [String: Any]
                },
                "counts_visible": form.map { $0["counts_visible"] == "yes" } ?? defaults.countsVisibleWhileVoting,
            ])
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func cyclePage(
        _ request: Request, _ context: AppRequestContext, community: Community, cycle: BudgetCycle, form: FormData? = nil,
        error: AppError? = nil
    ) async throws -> Response {
        let view = BudgetView(catalogue: services.catalogue, language: context.language, slug: community.slug, today: services.todayInKyiv)
        let departments = try await services.communities.departments(of: community.id)
        var values = view.values(cycle)
        values["categories"] = try await services.budget.categories(of: cycle.id).map { category -> [String: Any] in
            ["name": category.name(context.language), "budget": view.money(category.budget),
             "department": departments.first { $0.id == category.departmentID }?.name(context.language) ?? ""]
        }
        values["departments"] = departments.map {
            ["id": $0.id, "name": $0.name(context.language), "selected": form?["department"] == String($0.id)] as [String: Any]
        }
        values["name_uk"] = form?["name_uk"] ?? ""
        values["name_en"] = form?["name_en"] ?? ""
        values["budget"] = form?["budget"] ?? ""
        values["can_add_categories"] = cycle.phase(on: view.today) < .voting
        values["can_close"] = cycle.schedule.closingCurrentPhase(on: view.today) != nil
        var page = Page("admin-budget-cycle", titleKey: "budget.admin_title", titleText: cycle.title, community: community, values: values)
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }
}
