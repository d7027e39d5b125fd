import Foundation
import Hummingbird
import Postgres

/// `/{community}/office/budget`: in-person voting at the administrative service centre. Staff
/// find the voter by the identity document in front of them (the same verification record as
/// online, so nobody votes twice across channels) and record the voter's choices.
struct BudgetDeskRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/office/budget") { request, context in
            let (community, _) = try await services.authorize(context, .verifyIdentities)
            return try await deskPage(request, context, community: community)
        }

        router.post("/{community}/office/budget/voter") { request, context in
            let (community, viewer) = try await services.authorize(context, .verifyIdentities)
            let form = try await FormData.from(request)
            do {
                let cycle = try await votingCycle(community)
                guard let type = IdentityDocumentType(rawValue: form["document_type"]), type != .electronic else {
                    throw AppError(.validation, fieldErrors: ["document_type": "verify.error.document_type"])
                }
                guard let holder = try await services.verifications.holder(of: type, number: form["document_number"], in: community.id) else {
                    throw AppError(.validation, fieldErrors: ["document_number": "budget.error.no_voter"])
                }
                guard holder.personID != viewer.person.id else { throw BudgetStore.ownBallotRefusal }
                return try await deskPage(request, context, community: community, cycle: cycle,
                                          voter: (holder.personID, holder.identity, token(viewer, cycle: cycle.id, voter: holder.personID)))
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await deskPage(request, context, community: community, form: form, error: error)
            }
        }

        router.post("/{community}/office/budget/ballots") { request, context in
            let (community, viewer) = try await services.authorize(context, .verifyIdentities)
            let form = try await FormData.from(request)
            let cycle = try await votingCycle(community)
            let choices = form.values.keys.compactMap { $0.hasPrefix("project_") ? Int($0.dropFirst(8)) : nil }
            do {
                // The voter comes from the look-up this member of staff just made, not from the form alone.
                guard let voterID = Int(form["voter"]),
                      services.csrf.isValid(form["voter_token"], binding: binding(viewer, cycle: cycle.id, voter: voterID))
                else { throw AppError(.validation, fieldErrors: ["document_number": "budget.error.no_voter"]) }
                try await services.budget.recordInPerson(choices, voterID: voterID, by: viewer, community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/office/budget", flash: "budget.ballot_recorded")
            } catch let refusal as VotingRefusal {
                return try await deskPage(request, context, community: community, error: refusal.appError)
            } catch let error as AppError where error.kind == .validation {
                return try await deskPage(request, context, community: community, error: error)
            }
        }
    }

    /// The cycle whose voting is open today; the desk records nothing outside voting.
    private func votingCycle(_ community: Community) async throws -> BudgetCycle {
        let today = services.todayInKyiv
        guard let cycle = try await services.budget.cycles(communityID: community.id).first(where: { $0.phase(on: today) == .voting }) else {
            throw AppError(.conflict, detailKey: "budget.refusal.not_voting")
        }
        return cycle
    }

    private func binding(_ staff: Viewer, cycle: Int, voter: Int) -> [UInt8] {
        staff.sessionTokenHash + Array("budget-desk:\(cycle):\(voter)".utf8)
    }

    private func token(_ staff: Viewer, cycle: Int, voter: Int) -> String {
        services.csrf.token(binding: binding(staff, cycle: cycle, voter: voter))
    }

    private func deskPage(
        _ request: Request, _ context: AppRequestContext, community: Community, cycle: BudgetCycle? = nil,
        voter: (id: Int, identity: VerifiedIdentity, token: String)? = nil, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let today = services.todayInKyiv
        let open = try await services.budget.cycles(communityID: community.id).first { $0.phase(on: today) == .voting }
        var values: [String: Any] = [
            "document_types": IdentityDocumentType.allCases.filter { $0 != .electronic }.map {
                ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": form?["document_type"] == $0.rawValue] as [String: Any]
            },
        ]
        if let open { values["open_cycle"] = open.title }
        if let cycle, let voter {
            let view = BudgetView(catalogue: t, language: language, slug: community.slug, today: today)
            let categories = try await services.budget.categories(of: cycle.id)
            let cast = try await services.budget.votes(of: voter.id, in: cycle.id)
            let age = voter.identity.age(on: today)
            var voterValues: [String: Any] = [
                "id": voter.id, "token": voter.token, "name": voter.identity.fullName, "age": age, "resident": voter.identity.isResident,
                "votes_per_voter": t.count("budget.vote_count", cycle.rules.votesPerVoter, language), "scope": t.text(cycle.rules.voteScope.titleKey, language),
                "projects": try await services.budget.projects(of: cycle.id, status: .admitted).map { project -> [String: Any] in
                    var values = view.values(project, categories: categories, showCounts: false)
                    if let channel = cast[project.id] { values["my_vote"] = t.text(channel.titleKey, language) }
                    return values
                },
            ]
            if !voter.identity.isResident || age < cycle.rules.voterMinimumAge { voterValues["ineligible"] = true }
            values["voter"] = voterValues
        }
        var page = Page("budget-desk", titleKey: "budget.desk_title", community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
