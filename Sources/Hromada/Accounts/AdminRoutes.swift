import Hummingbird

/// `/{community}/admin`: administrators grant and revoke roles and mark the departments that are
/// the administrative service centre.
struct AdminRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/admin") { request, context in
            let (community, _) = try await services.authorize(context, .administer)
            return try await adminPage(request, context, community: community)
        }
        router.post("/{community}/admin/roles") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            let form = try await FormData.from(request)
            do {
                guard let role = Role(rawValue: form["role"]) else {
                    throw AppError(.validation, fieldErrors: ["role": "admin.error.role"])
                }
                guard let person = try await services.accounts.person(email: form["email"]) else {
                    throw AppError(.validation, fieldErrors: ["email": "admin.error.no_such_person"])
                }
                let departmentID = role.needsDepartment ? Int(form["department"]) : nil
                try await services.accounts.grant(
                    role, departmentID: departmentID, to: person.id, in: community.id, by: viewer.person.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/admin", flash: "admin.granted")
            } catch let error as AppError where error.kind == .validation {
                return try await adminPage(request, context, community: community, form: form, error: error)
            }
        }
        router.post("/{community}/admin/roles/{grant}/revoke") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            guard let grantID = Int(try context.parameters.require("grant")) else { throw AppError.notFound }
            do {
                try await services.accounts.revoke(grantID: grantID, in: community.id, by: viewer.person.id, ip: context.clientIP)
            } catch let error as AppError where error.kind == .conflict {
                return try await adminPage(request, context, community: community, error: error)
            }
            return services.redirect(to: "/\(community.slug)/admin", flash: "admin.revoked")
        }
        router.post("/{community}/admin/departments/{department}/service-centre") { request, context in
            let (community, viewer) = try await services.authorize(context, .administer)
            guard let departmentID = Int(try context.parameters.require("department")) else { throw AppError.notFound }
            let form = try await FormData.from(request)
            guard let mark = ["yes": true, "no": false][form["service_centre"]] else {
                return try await adminPage(request, context, community: community,
                                           error: AppError(.validation, detailKey: "admin.error.service_centre"))
            }
            try await services.accounts.markServiceCentre(mark, departmentID: departmentID, in: community.id, by: viewer.person.id,
                                                          ip: context.clientIP)
            return services.redirect(to: "/\(community.slug)/admin", flash: mark ? "admin.centre.marked" : "admin.centre.unmarked")
        }
    }


    private func adminPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let departments = try await services.communities.departments(of: community.id)
        let departmentNames = Dictionary(uniqueKeysWithValues: departments.map { ($0.id, $0.name(language)) })
        let query = request.uri.queryParameters
        let search = String((query["q"] ?? "").prefix(200))
        let pageNumber = PageNumber.from(query["page"])
        let (members, total) = try await services.accounts.members(
            of: community.id, matching: search, page: pageNumber, perPage: Self.membersPerPage)
        let rows = members.map { member in
            MemberRow(name: member.person.fullName, email: member.person.email, grants: member.grants.map { grant in
                var label = t.text(grant.role.titleKey, language)
                if let departmentID = grant.departmentID, let name = departmentNames[departmentID] { label += " — \(name)" }
                return MemberRow.Grant(id: grant.id, label: label)
            })
        }
        func link(page: Int) -> String {
            "/\(community.slug)/admin?q=\(search.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&page=\(page)#members"
        }
        var page = Page(
            "admin", titleKey: "admin.title", community: community,
            values: [
                "members": rows, "members_total": t.count("admin.members_found", total, language), "q": search,
                "roles": Role.allCases.map { ["value": $0.rawValue, "label": t.text($0.titleKey, language), "selected": form?["role"] == $0.rawValue] as [String: Any] },
                "departments": departments.map {
                    ["id": $0.id, "name": $0.name(language), "selected": form?["department"] == String($0.id),
                     "service_centre": $0.isServiceCentre] as [String: Any]
                },
                "email": form?["email"] ?? "",
            ])
        // Mustache shows a section for any present value, so absent pages are left out.
        if pageNumber > 1 { page.values["members_previous"] = link(page: pageNumber - 1) }
        if pageNumber * Self.membersPerPage < total { page.values["members_next"] = link(page: pageNumber + 1) }
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    static let membersPerPage = 50

    /// A member as the administrator's list shows them.
    struct MemberRow {
        struct Grant {
            var id: Int
            var label: String
        }

        var name: String
        var email: String
        var grants: [Grant]
    }
}
