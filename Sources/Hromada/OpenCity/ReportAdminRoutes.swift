import Foundation
import Hummingbird

/// `/{community}/admin/reports`: administrators add report categories (each routed to a
/// department with a target time) and issue and revoke Open311 API keys.
struct ReportAdminRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/admin/reports") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            return try await adminPage(request, context, community: community)
        }
        router.post("/{community}/admin/reports/categories") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            do {
                try await services.reports.addCategory(
                    code: form["code"], nameUK: form["name_uk"], nameEN: form["name_en"], descriptionUK: form["description_uk"],
                    descriptionEN: form["description_en"], departmentID: Int(form["department"]), responseDays: Int(form["response_days"]),
                    by: viewer, communityID: community.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/admin/reports", flash: "report.category_added")
            } catch let error as AppError where error.kind == .validation {
                return try await adminPage(request, context, community: community, form: form, error: error)
            }
        }
        router.post("/{community}/admin/reports/keys") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            do {
                let key = try await services.reports.issueApplicationKey(name: form["name"], by: viewer, communityID: community.id, ip: context.clientIP)
                // The key is shown on this page only; it is not stored.
                return try await adminPage(request, context, community: community, issuedKey: key)
            } catch let error as AppError where error.kind == .validation {
                return try await adminPage(request, context, community: community, form: form, error: error)
            }
        }
        router.post("/{community}/admin/reports/keys/{id}/revoke") { _, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            try await services.reports.revokeApplication(try ReportRoutes.id(context), by: viewer, communityID: community.id, ip: context.clientIP)
            return services.redirect(to: "/\(community.slug)/admin/reports", flash: "report.key_revoked")
        }
    }

    private func adminPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, issuedKey: String? = nil,
        error: AppError? = nil
    ) async throws -> Response {
        let language = context.language
        let departments = try await services.communities.departments(of: community.id)
        var page = Page(
            "admin-reports", titleKey: "report.admin_title", community: community,
            values: [
                "categories": try await services.reports.categories(of: community.id).map { category -> [String: Any] in
                    ["code": category.code, "name": category.name(language), "days": category.responseDays,
                     "department": departments.first { $0.id == category.departmentID }?.name(language) ?? ""]
                },
                "departments": departments.map {
                    ["id": $0.id, "name": $0.name(language), "selected": form?["department"] == String($0.id)] as [String: Any]
                },
                "applications": try await services.reports.applications(communityID: community.id).map { application -> [String: Any] in
                    var values: [String: Any] = ["id": application.id, "name": application.name,
                                                 "created_on": KyivTime.day(of: application.createdAt).isoString]
                    if let revoked = application.revokedAt { values["revoked_on"] = KyivTime.day(of: revoked).isoString }
                    return values
                },
                "code": form?["code"] ?? "", "name_uk": form?["name_uk"] ?? "", "name_en": form?["name_en"] ?? "",
                "response_days": form?["response_days"] ?? "15",
            ])
        if let issuedKey { page.values["issued_key"] = issuedKey }
        page.show(error, catalogue: services.catalogue, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
