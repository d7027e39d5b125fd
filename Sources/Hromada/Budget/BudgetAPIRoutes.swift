import Foundation
import Hummingbird
import Postgres

/// The budget's JSON API (`/api/v1/{community}/budget/…`) and open data
/// (`/{community}/open-data/budget/{cycle}/…`). Amounts are in hryvnias with two decimals.
struct BudgetAPIRoutes {
    let services: AppServices

    struct CategoryJSON: Encodable {
        var id: Int
        var nameUk: String
        var nameEn: String
        var budgetUah: Decimal
    }

    struct CycleJSON: Encodable {
        var id: Int
        var title: String
        var phase: String
        var phases: [String: CalendarDay]
        var maximumProjectCostUah: Decimal
        var authorMinimumAge: Int
        var maximumProjectsPerAuthor: Int
        var voterMinimumAge: Int
        var votesPerVoter: Int
        var voteScope: String
        var countsVisibleWhileVoting: Bool
        var resultsPublishedAt: Date?
        var ballotsDigest: String?
        var categories: [CategoryJSON]?
        var url: String
    }

    struct ProjectJSON: Encodable {
        var id: Int
        var cycleId: Int
        var categoryId: Int
        var title: String
        var description: String
        var author: String
        var status: String
        var reviewReason: String?
        var estimatedCostUah: Decimal
        var costUah: Decimal
        var latitude: Double?
        var longitude: Double?
        /// Absent while voting when the cycle hides counts.
        var votes: Int?
        var implementationStatus: String?
        var progress: Int?
        var spentUah: Decimal?
        var submittedAt: Date
        var url: String
    }

    struct ResultJSON: Encodable {
        var categoryId: Int
        var rank: Int
        var projectId: Int
        var title: String
        var votes: Int
        var costUah: Decimal
        var moneyLeftBeforeUah: Decimal
        var outcome: String
    }

    static func uah(_ kopecks: Int) -> Decimal { Decimal(kopecks) / 100 }

    func register(on router: Router<AppRequestContext>) {
        let api = router.group("/api/v1/{community}/budget")
        api.get("/cycles") { _, context in
            let community = try await services.community(context)
            return try JSONResponse.make(try await services.budget.cycles(communityID: community.id).map { json($0, community, categories: nil) })
        }
        api.get("/cycles/{cycle}") { _, context in
            let community = try await services.community(context)
            let cycle = try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id)
            return try JSONResponse.make(json(cycle, community, categories: try await services.budget.categories(of: cycle.id)))
        }
        api.get("/cycles/{cycle}/projects") { _, context in
            let community = try await services.community(context)
            let cycle = try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id)
            return try JSONResponse.make(try await projects(cycle, community))
        }
        api.get("/cycles/{cycle}/results") { _, context in
            let community = try await services.community(context)
            let cycle = try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id)
            return try JSONResponse.make(try await results(cycle))
        }
        api.get("/projects/{project}") { _, context in
            let community = try await services.community(context)
            let project = try await services.budget.project(try BudgetRoutes.id(context, "project"), communityID: community.id)
            let cycle = try await services.budget.cycle(project.cycleID, communityID: community.id)
            return try JSONResponse.make(json(project, community, showCounts: cycle.showsCounts(on: services.todayInKyiv)))
        }
        api.post("/projects/{project}/votes") { _, context in
            let community = try await services.community(context)
            let projectID = try BudgetRoutes.id(context, "project")
            do {
                guard let viewer = context.viewer else { throw VotingRefusal.notSignedIn }
                let (left, cycleID) = try await services.budget.vote(for: projectID, by: viewer, community: community, rateLimiter: services.rateLimiter)
                struct Cast: Encodable {
                    var votesLeft: Int
                    var receipt: String
                }
                return try JSONResponse.make(
                    Cast(votesLeft: left, receipt: services.budget.receiptCode(cycleID: cycleID, personID: viewer.person.id)), status: .created)
            } catch let refusal as VotingRefusal {
                throw refusal.appError
            }
        }

        let data = router.group("/{community}/open-data/budget/{cycle}")
        let openData = OpenDataExport(services: services)
        data.get("/projects.json") { request, context in
            let (community, cycle) = try await openCycle(context)
            return try openData.inMemory(request, json: try await projects(cycle, community))
        }
        data.get("/projects.csv") { request, context in
            let (community, cycle) = try await openCycle(context)
            var csv = CSV(header: ["id", "category_id", "title", "author", "status", "cost_uah", "votes", "implementation_status", "progress", "url"])
            for project in try await projects(cycle, community) {
                csv.append([String(project.id), String(project.categoryId), project.title, project.author, project.status,
                            "\(project.costUah)", project.votes.map(String.init) ?? "", project.implementationStatus ?? "",
                            project.progress.map(String.init) ?? "", project.url])
            }
            return openData.inMemory(request, csv: csv, filename: "\(community.slug)-budget-\(cycle.id)-projects.csv")
        }
        data.get("/results.json") { request, context in
            let (_, cycle) = try await openCycle(context)
            return try openData.inMemory(request, json: try await results(cycle))
        }
        data.get("/results.csv") { request, context in
            let (community, cycle) = try await openCycle(context)
            var csv = CSV(header: ["category_id", "rank", "project_id", "title", "votes", "cost_uah", "money_left_before_uah", "outcome"])
            for step in try await results(cycle) {
                csv.append([String(step.categoryId), String(step.rank), String(step.projectId), step.title, String(step.votes),
                            "\(step.costUah)", "\(step.moneyLeftBeforeUah)", step.outcome])
            }
            return openData.inMemory(request, csv: csv, filename: "\(community.slug)-budget-\(cycle.id)-results.csv")
        }
        // One ballot per voter: streamed. The object's keys in the API's sorted order; no digest before the results are published.
        data.get("/ballots.json") { request, context in
            let (_, cycle) = try await openCycle(context)
            let digest = try cycle.ballotsDigest.map { #","digest":"# + (try OpenDataExport.json($0)) } ?? ""
            let format = OpenDataExport.Format(
                contentType: "application/json; charset=utf-8", opening: #"{"ballots":["#, separator: ",", closing: "]" + digest + "}")
            return try await openData.streamed(
                request, format: format, version: BudgetStore.publishedBallotsVersion(of: cycle.id),
                rows: BudgetStore.publishedBallotsExport(of: cycle.id)
            ) { row in try OpenDataExport.json(try BudgetStore.publishedBallot(row)) }
        }
        data.get("/ballots.csv") { request, context in
            let (community, cycle) = try await openCycle(context)
            return try await openData.streamed(
                request, format: .csv(header: ["receipt_hash", "project_ids"]), filename: "\(community.slug)-budget-\(cycle.id)-ballots.csv",
                version: BudgetStore.publishedBallotsVersion(of: cycle.id), rows: BudgetStore.publishedBallotsExport(of: cycle.id)
            ) { row in
                let ballot = try BudgetStore.publishedBallot(row)
                return OpenDataExport.csvLine([ballot.receiptHash, ballot.projectIDs.map(String.init).joined(separator: " ")])
            }
        }
    }

    private func openCycle(_ context: AppRequestContext) async throws -> (Community, BudgetCycle) {
        let community = try await services.community(context)
        return (community, try await services.budget.cycle(try BudgetRoutes.id(context, "cycle"), communityID: community.id))
    }

    private func projects(_ cycle: BudgetCycle, _ community: Community) async throws -> [ProjectJSON] {
        let showCounts = cycle.showsCounts(on: services.todayInKyiv)
        return try await services.budget.projects(of: cycle.id).map { json($0, community, showCounts: showCounts) }
    }

    private func results(_ cycle: BudgetCycle) async throws -> [ResultJSON] {
        try await services.budget.results(of: cycle.id).flatMap { result in
            result.steps.map {
                ResultJSON(categoryId: result.category.id, rank: $0.step.rank, projectId: $0.step.projectID, title: $0.title, votes: $0.step.votes,
                           costUah: Self.uah($0.step.cost), moneyLeftBeforeUah: Self.uah($0.step.moneyLeftBefore), outcome: $0.step.outcome.rawValue)
            }
        }
    }

    private func json(_ cycle: BudgetCycle, _ community: Community, categories: [BudgetCategory]?) -> CycleJSON {
        CycleJSON(
            id: cycle.id, title: cycle.title, phase: cycle.phase(on: services.todayInKyiv).rawValue,
            phases: Dictionary(uniqueKeysWithValues: cycle.schedule.starts.map { ($0.phase.rawValue + "_starts_on", $0.on) }),
            maximumProjectCostUah: Self.uah(cycle.rules.maximumProjectCost), authorMinimumAge: cycle.rules.authorMinimumAge,
            maximumProjectsPerAuthor: cycle.rules.maximumProjectsPerAuthor, voterMinimumAge: cycle.rules.voterMinimumAge,
            votesPerVoter: cycle.rules.votesPerVoter, voteScope: cycle.rules.voteScope.rawValue,
            countsVisibleWhileVoting: cycle.rules.countsVisibleWhileVoting, resultsPublishedAt: cycle.resultsPublishedAt,
            ballotsDigest: cycle.ballotsDigest,
            categories: categories?.map { CategoryJSON(id: $0.id, nameUk: $0.nameUK, nameEn: $0.nameEN, budgetUah: Self.uah($0.budget)) },
            url: services.configuration.publicURL + "/\(community.slug)/budget/cycles/\(cycle.id)")
    }

    private func json(_ project: BudgetProject, _ community: Community, showCounts: Bool) -> ProjectJSON {
        ProjectJSON(
            id: project.id, cycleId: project.cycleID, categoryId: project.categoryID, title: project.title, description: project.description,
            author: project.authorName, status: project.status.rawValue, reviewReason: project.reviewReason,
            estimatedCostUah: Self.uah(project.estimatedCost), costUah: Self.uah(project.cost), latitude: project.location?.latitude,
            longitude: project.location?.longitude, votes: showCounts ? project.votes : nil,
            implementationStatus: project.implementation?.rawValue, progress: project.implementation == nil ? nil : project.progress,
            spentUah: project.implementation == nil ? nil : Self.uah(project.spent), submittedAt: project.submittedAt,
            url: services.configuration.publicURL + "/\(community.slug)/budget/projects/\(project.id)")
    }
}
