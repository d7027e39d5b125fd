import Foundation
import Hummingbird
import Postgres

/// `/{community}/map`: the public map with its registers and a search; each object's own page with
/// its attributes, history, reports and the feedback form.
struct GeoportalRoutes {
    let services: AppServices

    /// An object's page shows its newest versions and reports, however many it has gathered.
    static let newestShown = 20

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/map") { request, context in
            let community = try await services.community(context)
            let language = context.language
            let registers = try await services.geoportal.registers(communityID: community.id)
            let query = (request.uri.queryParameters["q"].map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
            var values: [String: Any] = [
                "registers": registers.map { register -> [String: Any] in
                    ["code": register.code, "name": register.name(language), "color": register.color, "description": register.description,
                     "items": "/ogc/\(community.slug)/collections/\(register.code)/items"]
                },
                "q": query, "tile_url": services.configuration.tileURL,
            ]
            if query.count >= 2 {
                values["results"] = try await services.geoportal.search(query, communityID: community.id).map { result -> [String: Any] in
                    let register = registers.first { $0.code == result.register }
                    return ["href": "/\(community.slug)/map/\(result.register)/\(result.object.id)", "register": register?.name(language) ?? "",
                            "source_id": result.object.sourceID,
                            "summary": (register?.schema ?? []).compactMap { field in
                                result.object.attributes[field.name].map { "\(field.label(language)): \($0.display)" }
                            }.prefix(3).joined(separator: ", ")]
                }
                values["searched"] = true
            }
            let page = Page("map", titleKey: "gis.map_title", community: community, values: values)
            return services.renderer.response(page, request: request, context: context)
        }

        router.get("/{community}/map/{register}/{object}") { request, context in
            let community = try await services.community(context)
            let (register, object) = try await found(context, community)
            return try await objectPage(request, context, community: community, register: register, object: object)
        }

        // Export of a public register: every object, as GeoJSON (written by PostgreSQL) or CSV, streamed.
        let openData = OpenDataExport(services: services)
        router.get("/{community}/open-data/registers/{file}") { request, context in
            let community = try await services.community(context)
            let file = try context.parameters.require("file")
            let isCSV = file.hasSuffix(".csv")
            guard isCSV || file.hasSuffix(".geojson"), let dot = file.lastIndex(of: ".") else { throw AppError.notFound }
            let register = try await services.geoportal.register(code: String(file[..<dot]), communityID: community.id)
            guard register.isPublic else { throw AppError.notFound }
            let version = GeoportalStore.openDataVersion(of: register)
            if !isCSV {
                return try await openData.streamed(
                    request, format: .geoJSONFeatures, filename: "\(community.slug)-\(register.code).geojson", version: version,
                    rows: GeoportalStore.featuresExport(of: register)
                ) { row in try row.decode("feature") }
            }
            let header = ["id", "source_id", "version", "latitude", "longitude", "geometry"] + register.schema.map(\.name)
            return try await openData.streamed(
                request, format: .csv(header: header), filename: "\(community.slug)-\(register.code).csv", version: version,
                rows: GeoportalStore.objectsExport(of: register)
            ) { row in
                let object = try GeoportalStore.object(row)
                return OpenDataExport.csvLine(
                    [String(object.id), object.sourceID, String(object.version), String(object.anchor.latitude), String(object.anchor.longitude),
                     object.geometry] + register.schema.map { object.attributes[$0.name]?.editable ?? "" })
            }
        }

        router.post("/{community}/map/{register}/{object}/edit") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let (register, object) = try await found(context, community)
            let form = try await FormData.from(request)
            do {
                var attributes: [String: String] = [:]
                for field in register.schema { attributes[field.name] = form["attribute_\(field.name)"] }
                var geometry = form.raw("geometry").trimmingCharacters(in: .whitespacesAndNewlines)
                if register.geometryType == .point {
                    var errors: [String: String] = [:]
                    if let point = GeoPoint.from(form, errors: &errors) {
                        geometry = #"{"type":"Point","coordinates":[\#(point.longitude),\#(point.latitude)]}"#
                    }
                    guard errors.isEmpty else { throw AppError(.validation, fieldErrors: ["geometry": "gis.error.geometry"]) }
                }
                try await services.geoportal.edit(object, in: register, geometry: geometry, attributes: attributes, by: viewer, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/map/\(register.code)/\(object.id)", flash: "gis.saved")
            } catch let error as AppError where error.kind == .validation {
                return try await objectPage(request, context, community: community, register: register, object: object, form: form, error: error)
            }
        }

        router.post("/{community}/map/{register}/{object}/feedback") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let (register, object) = try await found(context, community)
            let upload = try await UploadForm.from(request)
            do {
                var errors: [String: String] = [:]
                let photos = MediaStore.photos(in: upload, limit: 1, errors: &errors)
                let draft = ReportDraft(categoryID: Int(upload.fields["category"]), location: object.anchor, address: "",
                                        description: upload.fields.raw("description").trimmingCharacters(in: .whitespacesAndNewlines))
                errors.merge(draft.errors(categories: try await services.reports.categories(of: community.id))) { first, _ in first }
                guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
                let id = try await services.geoportal.feedback(on: object, in: register, draft: draft, photos: photos, by: viewer, community: community,
                                                               ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/reports/\(id)", flash: "gis.feedback_sent")
            } catch let error as AppError where [.validation, .rateLimited].contains(error.kind) {
                return try await objectPage(request, context, community: community, register: register, object: object, form: upload.fields, error: error)
            }
        }
    }

    private func found(_ context: AppRequestContext, _ community: Community) async throws -> (GISRegister, GISObject) {
        let register = try await services.geoportal.register(code: try context.parameters.require("register"), communityID: community.id)
        guard register.isPublic || context.viewer?.can(.useOffice, in: community.id) == true else { throw AppError.notFound }
        guard let id = Int(try context.parameters.require("object")) else { throw AppError.notFound }
        return (register, try await services.geoportal.object(id, in: register))
    }

    private func objectPage(
        _ request: Request, _ context: AppRequestContext, community: Community, register: GISRegister, object: GISObject,
        form: FormData? = nil, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let categories = try await services.reports.categories(of: community.id)
        let view = ReportView(catalogue: t, language: language, slug: community.slug, categories: categories)
        // One more than is shown, to know whether to say that older ones are left out.
        async let newestVersions = services.geoportal.history(of: object.id, limit: Self.newestShown + 1)
        async let newestReports = services.geoportal.reports(about: object.id, communityID: community.id, limit: Self.newestShown + 1)
        let (history, reports) = (try await newestVersions, try await newestReports)
        func rows(_ attributes: [String: AttributeValue]) -> [[String: Any]] {
            register.schema.compactMap { field in attributes[field.name].map { ["label": field.label(language), "value": $0.display] } }
        }
        var values: [String: Any] = [
            "register": register.name(language), "register_code": register.code, "source_id": object.sourceID, "id": object.id,
            "version": object.version, "updated": KyivTime.minute(of: object.updatedAt), "attributes": rows(object.attributes),
            "latitude": String(format: "%.6f", object.anchor.latitude), "longitude": String(format: "%.6f", object.anchor.longitude),
            "geometry": object.geometry, "tile_url": services.configuration.tileURL,
            "href": "/\(community.slug)/map/\(register.code)/\(object.id)",
            "history": history.prefix(Self.newestShown).map { entry -> [String: Any] in
                ["version": entry.version, "from": KyivTime.minute(of: entry.from), "until": KyivTime.minute(of: entry.until), "attributes": rows(entry.attributes)]
            },
            "reports": reports.prefix(Self.newestShown).map(view.values),
            "categories": categories.filter { register.feedbackCategories.contains($0.code) }.map {
                ["id": $0.id, "name": $0.name(language), "selected": form?["category"] == String($0.id)] as [String: Any]
            },
            "description": form?.raw("description") ?? "", "signed_in": context.viewer != nil,
        ]
        if let viewer = context.viewer, GeoportalStore.canEdit(register, viewer: viewer) {
            values["edit"] = [
                "fields": register.schema.map { field -> [String: Any] in
                    var entry: [String: Any] = ["name": field.name, "label": field.label(language),
                                                "value": form?["attribute_\(field.name)"] ?? object.attributes[field.name]?.editable ?? ""]
                    if let key = error?.fieldErrors["attribute_\(field.name)"] { entry["error"] = t.text(key, language) }
                    return entry
                },
                "is_point": register.geometryType == .point, "geometry": form?.raw("geometry") ?? object.geometry,
            ] as [String: Any]
        }
        let newest = t.text("gis.newest_shown", language, ["n": String(Self.newestShown)])
        if history.count > Self.newestShown { values["history_newest"] = newest }
        if reports.count > Self.newestShown { values["reports_newest"] = newest }
        values["department"] = try await services.communities.departments(of: community.id).first { $0.id == register.departmentID }?.name(language) ?? ""
        var page = Page("map-object", titleKey: "gis.object", titleText: "\(register.name(language)) · \(object.sourceID)", community: community,
                        values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }
}
