import Foundation
import Hummingbird
import Postgres

/// `/{community}/moderation`: the moderators' petition queue and fraud tools.
struct ModerationRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/moderation") { request, context in
            let (community, _) = try await services.authorize(context, .moderate)
            return try await queuePage(request, context, community: community)
        }
        router.post("/{community}/moderation/petitions/{id}") { request, context in
            let (community, viewer) = try await services.authorize(context, .moderate)
            guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
            let form = try await FormData.from(request)
            do {
                let publish = form["decision"] == "publish"
                if !publish && form["decision"] != "reject" {
                    throw AppError(.validation, fieldErrors: ["decision": "petition.error.decision"])
                }
                try await services.petitions.moderate(
                    id, publish: publish, reason: RejectionReason(rawValue: form["reason"]), text: form["text"], by: viewer,
                    in: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/moderation", flash: publish ? "petition.published" : "petition.rejected")
            } catch let error as AppError where [.validation, .conflict, .forbidden].contains(error.kind) {
                return try await queuePage(request, context, community: community, error: error)
            }
        }
        router.get("/{community}/moderation/petitions/{id}/signatures") { request, context in
            let (community, _) = try await services.authorize(context, .moderate)
            return try await fraudPage(request, context, community: community)
        }
        router.post("/{community}/moderation/petitions/{id}/invalidate") { request, context in
            let (community, viewer) = try await services.authorize(context, .moderate)
            guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
            let form = try await FormData.from(request)
            do {
                let criteria = InvalidationCriteria(
                    network: form["network"], emailDomain: form["domain"],
                    signedFrom: try Self.instant(form["from"], field: "from"), signedUntil: try Self.instant(form["until"], field: "until"))
                try await services.petitions.invalidate(id, matching: criteria, reason: form["reason"], by: viewer, in: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/moderation/petitions/\(id)/signatures", flash: "petition.invalidated")
            } catch let error as AppError where error.kind == .validation {
                return try await fraudPage(request, context, community: community, form: form, error: error)
            }
        }
    }

    /// `2026-11-27T14:00` from a datetime-local field, in Kyiv time; "" is no bound.
    static func instant(_ text: String, field: String) throws -> Date? {
        guard !text.isEmpty else { return nil }
        let parts = text.split(separator: "T")
        guard parts.count == 2, let day = CalendarDay(iso: String(parts[0])) else {
            throw AppError(.validation, fieldErrors: [field: "petition.error.time"])
        }
        let clock = parts[1].split(separator: ":").compactMap { Int($0) }
        guard clock.count >= 2, (0..<24).contains(clock[0]), (0..<60).contains(clock[1]) else {
            throw AppError(.validation, fieldErrors: [field: "petition.error.time"])
        }
        var components = DateComponents(year: day.year, month: day.month, day: day.day, hour: clock[0], minute: clock[1])
        components.timeZone = KyivTime.calendar.timeZone
        return KyivTime.calendar.date(from: components)
    }

    private func queuePage(_ request: Request, _ context: AppRequestContext, community: Community, error: AppError? = nil) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let view = PetitionView(catalogue: t, language: language, slug: community.slug)
        let today = services.todayInKyiv
        let waiting = try await services.petitions.moderationQueue(communityID: community.id)
        let (collecting, _) = try await services.petitions.list(.collecting, sort: .signatures, search: "", communityID: community.id, page: 1)
        var page = Page(
            "moderation", titleKey: "moderation.title", community: community,
            values: [
                "waiting": waiting.map { petition -> [String: Any] in
                    var values = view.values(petition)
                    values["late"] = petition.moderationDueOn < today
                    values["own"] = petition.authorID == context.viewer?.person.id
                    return values
                },
                "collecting": collecting.map(view.values),
                "reasons": RejectionReason.allCases.map { ["value": $0.rawValue, "label": t.text($0.titleKey, language)] },
            ])
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func fraudPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
        let petition = try await services.petitions.find(id, communityID: community.id)
        let pattern = try await services.petitions.signingPattern(of: id)
        let t = services.catalogue
        let language = context.language
        var values = PetitionView(catalogue: t, language: language, slug: community.slug).values(petition)
        values["chart"] = PetitionView.velocityChart(pattern.perHour, label: t.text("moderation.velocity", language))
        values["hours"] = pattern.perHour.suffix(48).map { ["hour": KyivTime.minute(of: $0.hour), "count": $0.signatures] }
        values["prefixes"] = pattern.topPrefixes.map { ["prefix": $0.prefix, "count": $0.signatures] }
        values["domains"] = pattern.topDomains.map { ["domain": $0.domain, "count": $0.signatures] }
        values["invalidated"] = pattern.invalidated
        values["network"] = form?["network"] ?? ""
        values["domain"] = form?["domain"] ?? ""
        values["reason"] = form?["reason"] ?? ""
        var page = Page("petition-signatures", titleKey: "moderation.signatures_title", titleText: petition.title, community: community, values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
