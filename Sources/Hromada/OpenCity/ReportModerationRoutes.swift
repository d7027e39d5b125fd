import Foundation
import Hummingbird

/// `/{community}/moderation/reports`: new reports to accept (registering them with the
/// category's department), reject with a reason, or merge into an open report as duplicates.
struct ReportModerationRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/moderation/reports") { request, context in
            let (community, _) = try await services.authorize(context, .moderate)
            return try await queuePage(request, context, community: community)
        }
        router.post("/{community}/moderation/reports/{id}") { request, context in
            let (community, viewer) = try await services.authorize(context, .moderate)
            let id = try ReportRoutes.id(context)
            let form = try await FormData.from(request)
            do {
                switch form["decision"] {
                case "accept": try await services.reports.accept(id, by: viewer, community: community, ip: context.clientIP)
                case "reject": try await services.reports.reject(id, reason: form["reason"], by: viewer, community: community, ip: context.clientIP)
                case "merge":
                    guard let target = Int(form["target"].trimmingCharacters(in: CharacterSet(charactersIn: "#"))) else {
                        throw AppError(.validation, fieldErrors: ["target": "report.error.merge_target"])
                    }
                    try await services.reports.merge(id, into: target, by: viewer, community: community, ip: context.clientIP)
                default: throw AppError(.validation, fieldErrors: ["decision": "petition.error.decision"])
                }
                return services.redirect(to: "/\(community.slug)/moderation/reports", flash: "report.moderated")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await queuePage(request, context, community: community, error: error)
            }
        }
    }

    private func queuePage(_ request: Request, _ context: AppRequestContext, community: Community, error: AppError? = nil) async throws -> Response {
        let view = ReportView(catalogue: services.catalogue, language: context.language, slug: community.slug,
                              categories: try await services.reports.categories(of: community.id))
        let pageNumber = PageNumber.from(request.uri.queryParameters["page"])
        let (queue, total) = try await services.reports.moderationQueue(
            communityID: community.id, page: pageNumber, perPage: Self.reportsPerPage)
        let nearbyByReport = try await withThrowingTaskGroup(of: (Int, [Report]).self) { group in
            for report in queue {
                group.addTask {
                    (report.id, try await services.reports.nearby(categoryID: report.categoryID, location: report.location, communityID: community.id)
                        .filter { $0.id != report.id && $0.status != .new })
                }
            }
            return try await group.reduce(into: [Int: [Report]]()) { $0[$1.0] = $1.1 }
        }
        var page = Page(
            "moderation-reports", titleKey: "report.moderation_title", community: community,
            values: ["waiting": queue.map { report -> [String: Any] in
                var values = view.values(report)
                values["nearby"] = (nearbyByReport[report.id] ?? []).map(view.values)
                return values
            }])
        page.values["waiting_total"] = services.catalogue.count("report.waiting", total, context.language)
        // Mustache shows a section for any present value, so absent pages are left out.
        let queuePath = "/\(community.slug)/moderation/reports?page="
        if pageNumber > 1 { page.values["previous"] = queuePath + String(pageNumber - 1) }
        if pageNumber * Self.reportsPerPage < total { page.values["next"] = queuePath + String(pageNumber + 1) }
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }

    /// Each waiting report is shown with its nearby reports (one query each) and three forms.
    static let reportsPerPage = 20
}
