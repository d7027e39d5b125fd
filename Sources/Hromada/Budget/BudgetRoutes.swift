import Foundation
import Hummingbird
import Postgres

/// `/{community}/budget`: cycles, projects, submission, voting, results, receipts, implementation.
struct BudgetRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/budget") { request, context in
            let community = try await services.community(context)
            let cycles = try await services.budget.cycles(communityID: community.id)
            guard let latest = cycles.first else {
                let page = Page("budget-empty", titleKey: "budget.title", community: community)
                return services.renderer.response(page, request: request, context: context)
            }
            return try await cyclePage(request, context, community: community, cycle: latest, others: cycles)
        }

        router.get("/{community}/budget/cycles/{cycle}") { request, context in
            let community = try await services.community(context)
            let cycle = try await services.budget.cycle(try Self.id(context, "cycle"), communityID: community.id)
            return try await cyclePage(request, context, community: community, cycle: cycle,
                                       others: try await services.budget.cycles(communityID: community.id))
        }

        router.get("/{community}/budget/cycles/{cycle}/projects/new") { request, context in
            let community = try await services.community(context)
            let viewer = try context.requireViewer()
            let cycle = try await services.budget.cycle(try Self.id(context, "cycle"), communityID: community.id)
            let refusal = try await services.budget.submissionRefusal(cycle: cycle, author: viewer, verifications: services.verifications)
            return try await projectForm(request, context, community: community, cycle: cycle, project: nil, refusal: refusal)
        }

        router.post("/{community}/budget/cycles/{cycle}/projects") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let cycle = try await services.budget.cycle(try Self.id(context, "cycle"), communityID: community.id)
            let upload = try await UploadForm.from(request)
            let form = upload.fields
            do {
                let (draft, photos) = try Self.draft(upload)
                let id = try await services.budget.submit(draft, photos: photos, to: cycle.id, by: viewer, community: community,
                                                          verifications: services.verifications, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/budget/projects/\(id)", flash: "budget.submitted")
            } catch let error as AppError where [.validation, .forbidden, .conflict, .rateLimited].contains(error.kind) {
                return try await projectForm(request, context, community: community, cycle: cycle, project: nil, form: form, error: error)
            }
        }

        router.get("/{community}/budget/projects/{project}") { request, context in
            let community = try await services.community(context)
            let project = try await services.budget.project(try Self.id(context, "project"), communityID: community.id)
            return try await projectPage(request, context, community: community, project: project)
        }

        router.get("/{community}/budget/projects/{project}/edit") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let project = try await services.budget.project(try Self.id(context, "project"), communityID: community.id)
            guard project.authorID == viewer.person.id else { throw AppError.forbidden }
            let cycle = try await services.budget.cycle(project.cycleID, communityID: community.id)
            return try await projectForm(request, context, community: community, cycle: cycle, project: project)
        }

        router.post("/{community}/budget/projects/{project}/edit") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let project = try await services.budget.project(try Self.id(context, "project"), communityID: community.id)
            guard project.authorID == viewer.person.id else { throw AppError.forbidden }
            let upload = try await UploadForm.from(request)
            let form = upload.fields
            do {
                let (draft, photos) = try Self.draft(upload)
                try await services.budget.update(project.id, with: draft, photos: photos, by: viewer, community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/budget/projects/\(project.id)", flash: "budget.saved")
            } catch let error as AppError where [.validation, .conflict, .rateLimited].contains(error.kind) {
                let cycle = try await services.budget.cycle(project.cycleID, communityID: community.id)
                return try await projectForm(request, context, community: community, cycle: cycle, project: project, form: form, error: error)
            }
        }

        router.post("/{community}/budget/projects/{project}/vote") { request, context in
            let community = try await services.community(context)
            let project = try await services.budget.project(try Self.id(context, "project"), communityID: community.id)
            do {
                guard let viewer = context.viewer else { throw VotingRefusal.notSignedIn }
                _ = try await services.budget.vote(for: project.id, by: viewer, community: community, rateLimiter: services.rateLimiter)
                let back = (try? await FormData.from(request))?["back"] == "cycle"
                    ? "/\(community.slug)/budget/cycles/\(project.cycleID)#project-\(project.id)" : "/\(community.slug)/budget/projects/\(project.id)"
                return services.redirect(to: back, flash: "budget.voted")
            } catch let refusal as VotingRefusal {
                return try await projectPage(request, context, community: community, project: project, error: refusal.appError)
            }
        }

        router.post("/{community}/budget/projects/{project}/follow") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let project = try await services.budget.project(try Self.id(context, "project"), communityID: community.id)
            let form = try await FormData.from(request)
            try await services.budget.setFollowing(form["follow"] == "yes", projectID: project.id, personID: viewer.person.id)
            return services.redirect(to: "/\(community.slug)/budget/projects/\(project.id)",
                                     flash: form["follow"] == "yes" ? "budget.following" : "budget.unfollowed")
        }

        router.post("/{community}/budget/projects/{project}/updates") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let project = try await services.budget.project(try Self.id(context, "project"), communityID: community.id)
            let upload = try await UploadForm.from(request)
            let form = upload.fields
            do {
                let photos = try MediaStore.images(from: upload.files, field: "photos", limit: BudgetStore.photosPerProject)
                try await services.budget.postUpdate(
                    on: project.id, status: BudgetImplementationStatus(rawValue: form["status"]), progress: Int(form["progress"]),
                    spent: Money.hundredths(form["spent"]), text: form.raw("text"), photos: photos, by: viewer, community: community,
                    ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/budget/projects/\(project.id)#implementation", flash: "budget.news_posted")
            } catch let error as AppError where [.validation, .conflict, .rateLimited].contains(error.kind) {
                return try await projectPage(request, context, community: community, project: project, form: form, error: error)
            }
        }

        router.get("/{community}/budget/cycles/{cycle}/results") { request, context in
            let community = try await services.community(context)
            let cycle = try await services.budget.cycle(try Self.id(context, "cycle"), communityID: community.id)
            return try await resultsPage(request, context, community: community, cycle: cycle)
        }
    }

    /// The project and its photos from the form; every bad field is named in one validation error.
    static func draft(_ upload: UploadForm) throws -> (ProjectDraft, [CleanedImage]) {
        let parsed = ProjectDraft.from(upload.fields)
        var errors = parsed.errors
        let draft = parsed.draft
        let photos = MediaStore.photos(in: upload, limit: BudgetStore.photosPerProject, errors: &errors)
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        return (draft, photos)
    }

    static func id(_ context: AppRequestContext, _ name: String) throws -> Int {
        guard let id = Int(try context.parameters.require(name)) else { throw AppError.notFound }
        return id
    }

    private func view(_ context: AppRequestContext, _ community: Community) -> BudgetView {
        BudgetView(catalogue: services.catalogue, language: context.language, slug: community.slug, today: services.todayInKyiv)
    }

    private func cyclePage(
        _ request: Request, _ context: AppRequestContext, community: Community, cycle: BudgetCycle, others: [BudgetCycle]
    ) async throws -> Response {
        let view = view(context, community)
        let categories = try await services.budget.categories(of: cycle.id)
        let query = request.uri.queryParameters
        let chosenCategory = query["category"].flatMap { Int(String($0)) }
        let phase = cycle.phase(on: view.today)
        // During voting and after, only admitted projects are on the ballot; before, everything submitted.
        let listed = try await services.budget.projects(of: cycle.id, status: phase >= .voting ? .admitted : nil)
        let showCounts = cycle.showsCounts(on: view.today)
        var myVotes: [Int: VoteChannel] = [:]
        if let viewer = context.viewer { myVotes = try await services.budget.votes(of: viewer.person.id, in: cycle.id) }
        var values = view.values(cycle)
        values["categories"] = categories.filter { chosenCategory == nil || $0.id == chosenCategory }.map { category -> [String: Any] in
            let projects = listed.filter { $0.categoryID == category.id }
            var entry: [String: Any] = [
                "name": category.name(context.language), "budget": view.money(category.budget),
                "projects": projects.map { project -> [String: Any] in
                    var values = view.values(project, categories: categories, showCounts: showCounts)
                    if let channel = myVotes[project.id] { values["my_vote"] = services.catalogue.text(channel.titleKey, context.language) }
                    else if phase == .voting && context.viewer != nil { values["can_vote"] = true }
                    return values
                },
            ]
            if cycle.rules.voteScope == .category && context.viewer != nil {
                let used = projects.filter { myVotes[$0.id] != nil }.count
                entry["votes_left"] = max(0, cycle.rules.votesPerVoter - used)
            }
            return entry
        }
        values["category_filter"] = categories.map {
            ["id": $0.id, "name": $0.name(context.language), "selected": $0.id == chosenCategory] as [String: Any]
        }
        if cycle.rules.voteScope == .cycle && context.viewer != nil { values["votes_left_cycle"] = max(0, cycle.rules.votesPerVoter - myVotes.count) }
        if let viewer = context.viewer, !myVotes.isEmpty {
            values["receipt"] = services.budget.receiptCode(cycleID: cycle.id, personID: viewer.person.id)
        }
        values["signed_in"] = context.viewer != nil
        values["other_cycles"] = others.filter { $0.id != cycle.id }.map { ["title": $0.title, "href": "/\(community.slug)/budget/cycles/\($0.id)"] }
        values["counts_hidden"] = phase == .voting && !showCounts
        let page = Page("budget", titleKey: "budget.title", titleText: cycle.title, community: community, values: values)
        return services.renderer.response(page, request: request, context: context)
    }

    private func projectPage(
        _ request: Request, _ context: AppRequestContext, community: Community, project: BudgetProject, form: FormData? = nil,
        error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let view = view(context, community)
        let cycle = try await services.budget.cycle(project.cycleID, communityID: community.id)
        let categories = try await services.budget.categories(of: cycle.id)
        let phase = cycle.phase(on: view.today)
        var values = view.values(project, categories: categories, showCounts: cycle.showsCounts(on: view.today))
        values["cycle"] = view.values(cycle)
        values["lines"] = try await services.budget.costLines(of: project.id).enumerated().map { view.values($1, position: $0 + 1) }
        values["events"] = try await services.budget.events(of: project.id).map { event -> [String: Any] in
            var entry: [String: Any] = ["at": KyivTime.minute(of: event.at), "action": t.text("budget.event.\(event.action)", language)]
            if !event.comment.isEmpty { entry["comment"] = event.comment }
            return entry
        }
        let updates = try await services.budget.updates(of: project.id)
        let photos = try await services.budget.photos(of: project.id, updates: updates)
        values["photos"] = photos.project.map { ["url": $0.url] }
        values["updates"] = updates.map { update -> [String: Any] in
            ["at": KyivTime.day(of: update.at).isoString, "author": update.authorName, "status": t.text(update.status.titleKey, language),
             "progress": update.progress, "spent": view.money(update.spent), "text": update.text,
             "photos": (photos.updates[update.id] ?? []).map { ["url": $0.url] }]
        }
        if let document = try await services.workflow.find(sourceType: BudgetStore.sourceType, sourceID: String(project.id), communityID: community.id) {
            values["document"] = services.documentView(language).values(document, communitySlug: community.slug)
        }
        if let viewer = context.viewer {
            let myVotes = try await services.budget.votes(of: viewer.person.id, in: cycle.id)
            if let channel = myVotes[project.id] { values["my_vote"] = t.text(channel.titleKey, language) }
            else if phase == .voting && project.status == .admitted { values["can_vote"] = true }
            if !myVotes.isEmpty { values["receipt"] = services.budget.receiptCode(cycleID: cycle.id, personID: viewer.person.id) }
            values["can_edit"] = viewer.person.id == project.authorID && phase == .submission
            values["following"] = try await services.budget.isFollowing(projectID: project.id, personID: viewer.person.id)
            values["signed_in"] = true
            if project.implementation != nil, try await services.budget.canReport(on: project, viewer: viewer) {
                values["can_report"] = [
                    "statuses": BudgetImplementationStatus.allCases.map {
                        ["value": $0.rawValue, "label": t.text($0.titleKey, language),
                         "selected": (form.map { f in f["status"] } ?? project.implementation?.rawValue) == $0.rawValue] as [String: Any]
                    },
                    "progress": form?["progress"] ?? String(project.progress),
                    "spent": form?["spent"] ?? Money.format(project.spent).replacingOccurrences(of: "\u{00A0}", with: ""),
                    "text": form?.raw("text") ?? "",
                ] as [String: Any]
            }
        } else if phase == .voting && project.status == .admitted {
            values["sign_in_to_vote"] = true
        }
        values["tile_url"] = services.configuration.tileURL
        var page = Page("budget-project", titleKey: "budget.project", titleText: project.title, community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func projectForm(
        _ request: Request, _ context: AppRequestContext, community: Community, cycle: BudgetCycle, project: BudgetProject?,
        form: FormData? = nil, refusal: String? = nil, error: AppError? = nil
    ) async throws -> Response {
        let view = view(context, community)
        let categories = try await services.budget.categories(of: cycle.id)
        var lines: [(item: String, quantity: String, price: String)] = []
        if let form {
            lines = (1...BudgetSubmissionRules.maximumLines).map { (form["item_\($0)"], form["quantity_\($0)"], form["price_\($0)"]) }
        } else if let project {
            lines = try await services.budget.costLines(of: project.id).map {
                ($0.item, Money.format($0.quantityHundredths).replacingOccurrences(of: ",00", with: "").replacingOccurrences(of: "\u{00A0}", with: ""),
                 Money.format($0.unitPrice).replacingOccurrences(of: "\u{00A0}", with: ""))
            }
        }
        // Ten rows at least, and two blank ones after what was typed, up to the maximum.
        let filled = (lines.lastIndex { !$0.item.isEmpty || !$0.quantity.isEmpty || !$0.price.isEmpty } ?? -1) + 1
        let rows = min(BudgetSubmissionRules.maximumLines, max(10, filled + 2))
        lines = Array(lines.prefix(rows)) + Array(repeating: ("", "", ""), count: max(0, rows - lines.count))
        let selected = form.map { Int($0["category"]) } ?? project?.categoryID
        var values: [String: Any] = [
            "cycle": view.values(cycle),
            "categories": categories.map {
                ["id": $0.id, "name": $0.name(context.language), "budget": view.money($0.budget), "selected": $0.id == selected] as [String: Any]
            },
            "title": form?["title"] ?? project?.title ?? "", "description": form?.raw("description") ?? project?.description ?? "",
            "latitude": form?["latitude"] ?? project?.location.map { String(format: "%.6f", $0.latitude) } ?? "",
            "longitude": form?["longitude"] ?? project?.location.map { String(format: "%.6f", $0.longitude) } ?? "",
            "lines": lines.enumerated().map { ["n": $0 + 1, "item": $1.item, "quantity": $1.quantity, "price": $1.price] as [String: Any] },
            "action": project.map { "/\(community.slug)/budget/projects/\($0.id)/edit" } ?? "/\(community.slug)/budget/cycles/\(cycle.id)/projects",
        ]
        if project != nil { values["editing"] = true }
        values["tile_url"] = services.configuration.tileURL
        // Someone who may not submit now is told why instead of being shown a form to fill in for nothing.
        if let refusal { values["refusal"] = services.catalogue.text(refusal, context.language) }
        var page = Page("budget-project-form", titleKey: project == nil ? "budget.new_project" : "budget.edit_project", community: community,
                        values: values)
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func resultsPage(_ request: Request, _ context: AppRequestContext, community: Community, cycle: BudgetCycle) async throws -> Response {
        let view = view(context, community)
        var values = view.values(cycle)
        let query = request.uri.queryParameters
        if cycle.resultsPublishedAt != nil {
            values["results"] = try await services.budget.results(of: cycle.id).map(view.values)
            values["digest"] = cycle.ballotsDigest ?? ""
            values["ballots_count"] = cycle.ballotsCount ?? 0
            values["ballots_csv"] = "/\(community.slug)/open-data/budget/\(cycle.id)/ballots.csv"
            values["ballots_json"] = "/\(community.slug)/open-data/budget/\(cycle.id)/ballots.json"
            if let code = query["receipt"].map(String.init), !code.isEmpty {
                var check: [String: Any] = ["code": code]
                if let ballot = try await services.budget.ballot(receiptCode: code, cycleID: cycle.id) {
                    let projects = try await services.budget.projects(of: cycle.id)
                    check["found"] = true
                    check["hash"] = ballot.receiptHash
                    check["projects"] = ballot.projectIDs.map { id in
                        ["title": projects.first { $0.id == id }?.title ?? "#\(id)", "href": "/\(community.slug)/budget/projects/\(id)"]
                    }
                }
                values["check"] = check
            }
            if query["recount"] == "1" {
                let recount = try await services.budget.recount(cycle)
                values["recount"] = ["ballots": recount.ballots, "digest": recount.digest,
                                     "matches": recount.digestMatches && recount.mismatchedProjects.isEmpty] as [String: Any]
            }
        }
        if let viewer = context.viewer, cycle.phase(on: view.today) >= .voting,
           try await !services.budget.votes(of: viewer.person.id, in: cycle.id).isEmpty {
            values["receipt"] = services.budget.receiptCode(cycleID: cycle.id, personID: viewer.person.id)
        }
        let page = Page("budget-results", titleKey: "budget.results", titleText: cycle.title, community: community, values: values)
        return services.renderer.response(page, request: request, context: context)
    }
}
