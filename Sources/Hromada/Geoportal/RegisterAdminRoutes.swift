import Foundation
import Hummingbird
import Postgres

/// `/{community}/admin/registers`: administrators create registers and edit their schemas.
struct RegisterAdminRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/admin/registers") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            return try await page(request, context, community: community)
        }
        router.post("/{community}/admin/registers") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            do {
                let fields = try Self.fields(form)
                guard let type = GeometryType(rawValue: form["geometry_type"]) else { throw AppError(.validation, fieldErrors: ["geometry_type": "consultation.error.choice"]) }
                guard form["code"].range(of: "^[a-z0-9_-]{2,40}$", options: .regularExpression) != nil else {
                    throw AppError(.validation, fieldErrors: ["code": "report.error.code"])
                }
                guard let department = Int(form["department"]),
                      try await services.communities.departments(of: community.id).contains(where: { $0.id == department }) else {
                    throw AppError(.validation, fieldErrors: ["department": "budget.error.department"])
                }
                guard try await !services.geoportal.registers(communityID: community.id, publicOnly: false).contains(where: { $0.code == form["code"] }) else {
                    throw AppError(.validation, fieldErrors: ["code": "report.error.code_taken"])
                }
                _ = try await services.geoportal.createRegister(
                    code: form["code"], nameUK: fields.nameUK, nameEN: fields.nameEN, description: form["description"], departmentID: department,
                    geometryType: type, schema: fields.schema, feedbackCategories: fields.feedback, color: fields.color, isPublic: form["public"] == "yes",
                    communityID: community.id, by: viewer.person.id)
                return services.redirect(to: "/\(community.slug)/admin/registers", flash: "gis.register_saved")
            } catch let error as AppError where error.kind == .validation {
                return try await page(request, context, community: community, form: form, error: error)
            }
        }
        router.post("/{community}/admin/registers/{register}") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let register = try await services.geoportal.register(code: try context.parameters.require("register"), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                let fields = try Self.fields(form)
                try await services.geoportal.updateRegister(
                    register, nameUK: fields.nameUK, nameEN: fields.nameEN, description: form["description"], schema: fields.schema,
                    feedbackCategories: fields.feedback, isPublic: form["public"] == "yes", color: fields.color, by: viewer.person.id)
                return services.redirect(to: "/\(community.slug)/admin/registers", flash: "gis.register_saved")
            } catch let error as AppError where error.kind == .validation {
                return try await page(request, context, community: community, form: form, error: error)
            }
        }
    }

    /// The fields a register's create and edit forms share, checked.
    static func fields(_ form: FormData) throws -> (nameUK: String, nameEN: String, schema: [AttributeField], feedback: [String], color: String) {
        var errors: [String: String] = [:]
        if !(1...200).contains(form["name_uk"].count) { errors["name_uk"] = "budget.error.name" }
        if !(1...200).contains(form["name_en"].count) { errors["name_en"] = "budget.error.name" }
        let schema = AttributeField.parse(form.raw("schema"))
        if schema == nil { errors["schema"] = "gis.error.schema" }
        let color = form["color"].isEmpty ? "#0b5cad" : form["color"].lowercased()
        if color.range(of: "^#[0-9a-f]{6}$", options: .regularExpression) == nil { errors["color"] = "gis.error.color" }
        guard errors.isEmpty, let schema else { throw AppError(.validation, fieldErrors: errors) }
        let feedback = form["feedback"].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return (form["name_uk"], form["name_en"], schema, feedback, color)
    }

    private func page(_ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil,
                      error: AppError? = nil) async throws -> Response {
        let language = context.language
        let departments = try await services.communities.departments(of: community.id)
        var page = Page("admin-registers", titleKey: "gis.admin_title", community: community, values: [
            "registers": try await services.geoportal.registers(communityID: community.id, publicOnly: false).map { register -> [String: Any] in
                ["code": register.code, "name_uk": register.nameUK, "name_en": register.nameEN, "description": register.description,
                 "schema": AttributeField.text(of: register.schema), "feedback": register.feedbackCategories.joined(separator: ", "),
                 "public": register.isPublic, "color": register.color, "type": register.geometryType.rawValue,
                 "department": departments.first { $0.id == register.departmentID }?.name(language) ?? ""]
            },
            "departments": departments.map { ["id": $0.id, "name": $0.name(language), "selected": form?["department"] == String($0.id)] as [String: Any] },
            "types": GeometryType.allCases.map { ["value": $0.rawValue, "selected": form?["geometry_type"] == $0.rawValue] as [String: Any] },
            "categories": try await services.reports.categories(of: community.id).map(\.code).joined(separator: ", "),
            "code": form?["code"] ?? "", "name_uk": form?["name_uk"] ?? "", "name_en": form?["name_en"] ?? "",
            "schema_text": form?.raw("schema") ?? "", "feedback_text": form?["feedback"] ?? "",
        ])
        page.show(error, catalogue: services.catalogue, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
