import Foundation
import Postgres

/// Template values for the participatory budget.
struct BudgetView {
    let catalogue: TranslationCatalogue
    let language: Language
    let slug: String
    let today: CalendarDay

    /// `149 500,00 грн`.
    func money(_ kopecks: Int) -> String { Money.format(kopecks) + "\u{00A0}" + catalogue.text("budget.currency", language) }

    func values(_ cycle: BudgetCycle) -> [String: Any] {
        let phase = cycle.phase(on: today)
        let rules = cycle.rules
        return [
            "id": cycle.id, "title": cycle.title, "href": "/\(slug)/budget/cycles/\(cycle.id)",
            "phase": catalogue.text(phase.titleKey, language), "phase_code": phase.rawValue,
            "phases": cycle.schedule.starts.map { entry -> [String: Any] in
                var value: [String: Any] = ["name": catalogue.text(entry.phase.titleKey, language), "starts_on": entry.on.isoString,
                                            "current": entry.phase == phase]
                if let last = cycle.schedule.lastDay(of: entry.phase), last >= entry.on { value["ends_on"] = last.isoString }
                return value
            },
            "maximum_cost": money(rules.maximumProjectCost), "author_minimum_age": rules.authorMinimumAge,
            "maximum_projects_per_author": rules.maximumProjectsPerAuthor, "voter_minimum_age": rules.voterMinimumAge,
            "votes_per_voter": catalogue.count("budget.vote_count", rules.votesPerVoter, language), "vote_scope": catalogue.text(rules.voteScope.titleKey, language),
            "is_submission": phase == .submission, "is_voting": phase == .voting, "has_results": cycle.resultsPublishedAt != nil,
            "results_href": "/\(slug)/budget/cycles/\(cycle.id)/results",
        ]
    }

    func values(_ project: BudgetProject, categories: [BudgetCategory], showCounts: Bool) -> [String: Any] {
        var values: [String: Any] = [
            "id": project.id, "title": project.title, "description": project.description, "author": project.authorName,
            "href": "/\(slug)/budget/projects/\(project.id)", "cost": money(project.cost), "estimated_cost": money(project.estimatedCost),
            "status": catalogue.text(project.status.titleKey, language), "status_code": project.status.rawValue,
            "admitted": project.status == .admitted, "submitted_on": KyivTime.day(of: project.submittedAt).isoString,
            "category": categories.first { $0.id == project.categoryID }?.name(language) ?? "",
        ]
        if showCounts {
            values["votes"] = project.votes
            values["votes_text"] = catalogue.count("budget.vote_count", project.votes, language)
        }
        if let corrected = project.correctedCost, corrected != project.estimatedCost { values["corrected"] = true }
        if let reason = project.reviewReason { values["review_reason"] = reason }
        if let location = project.location {
            values["latitude"] = String(format: "%.6f", location.latitude)
            values["longitude"] = String(format: "%.6f", location.longitude)
        }
        if let implementation = project.implementation {
            values["implementation"] = [
                "status": catalogue.text(implementation.titleKey, language), "progress": project.progress, "spent": money(project.spent),
            ] as [String: Any]
        }
        return values
    }

    func values(_ line: CostLine, position: Int) -> [String: Any] {
        [
            "position": position, "item": line.item, "quantity": Money.format(line.quantityHundredths).replacingOccurrences(of: ",00", with: ""),
            "unit_price": money(line.unitPrice), "total": money(line.total),
        ]
    }

    /// The steps of a category's tally, with a bar chart drawn on the server (no JavaScript needed):
    /// each bar is a project's votes, filled when it won.
    func values(_ result: CategoryResult) -> [String: Any] {
        let peak = max(1, result.steps.map(\.step.votes).max() ?? 1)
        return [
            "name": result.category.name(language), "budget": money(result.category.budget),
            "left": money(result.steps.last?.step.moneyLeftAfter ?? result.category.budget),
            "steps": result.steps.map { entry -> [String: Any] in
                [
                    "rank": entry.step.rank, "project": entry.title, "href": "/\(slug)/budget/projects/\(entry.step.projectID)",
                    "votes": entry.step.votes, "cost": money(entry.step.cost), "before": money(entry.step.moneyLeftBefore),
                    "after": money(entry.step.moneyLeftAfter), "won": entry.step.outcome == .won,
                    "outcome": catalogue.text(entry.step.outcome.titleKey, language),
                ]
            },
            "peak": peak,
            "bars": result.steps.map { entry -> [String: Any] in
                ["votes": entry.step.votes, "title": entry.title, "won": entry.step.outcome == .won]
            },
        ]
    }
}
