import Foundation
import Hummingbird
import Postgres

/// `/{community}/reports`: the map and list, filing a report, a report's page with its timeline,
/// "me too", comments and reopening; the map's GeoJSON.
struct ReportRoutes {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/reports") { request, context in
            let community = try await services.community(context)
            return try await listPage(request, context, community: community)
        }

        router.get("/{community}/reports.geojson") { request, context in
            let community = try await services.community(context)
            let filter = try Self.filter(request.uri.queryParameters, categories: try await services.reports.categories(of: community.id),
                                         requireBoundingBox: false)
            let (points, truncated) = try await services.reports.mapPoints(filter, communityID: community.id)
            return Response(status: .ok, headers: [.contentType: "application/geo+json"],
                            body: .init(byteBuffer: ByteBuffer(string: ReportGeoJSON.mapCollection(points, slug: community.slug, truncated: truncated))))
        }

        router.get("/{community}/reports/new") { request, context in
            let community = try await services.community(context)
            _ = try context.requireViewer()
            return try await newReportPage(request, context, community: community)
        }

        router.post("/{community}/reports") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let upload = try await UploadForm.from(request)
            let form = upload.fields
            do {
                let (draft, photos) = try Self.draft(upload)
                // Open reports of the same kind close by are shown first; "file anyway" sends confirm=yes.
                if form["confirm"] != "yes", let categoryID = draft.categoryID, let location = draft.location {
                    let nearby = try await services.reports.nearby(categoryID: categoryID, location: location, communityID: community.id)
                    if !nearby.isEmpty {
                        return try await newReportPage(request, context, community: community, form: form, nearby: nearby)
                    }
                }
                let id = try await services.reports.file(draft, photos: photos, by: .person(viewer), community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/reports/\(id)", flash: "report.filed")
            } catch let error as AppError where [.validation, .rateLimited].contains(error.kind) {
                return try await newReportPage(request, context, community: community, form: form, error: error)
            }
        }

        router.get("/{community}/reports/{id}") { request, context in
            let community = try await services.community(context)
            let report = try await services.reports.find(try Self.id(context), communityID: community.id)
            return try await reportPage(request, context, community: community, report: report)
        }

        router.post("/{community}/reports/{id}/support") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let report = try await services.reports.find(try Self.id(context), communityID: community.id)
            do {
                try await services.reports.support(report.id, by: viewer, communityID: community.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/reports/\(report.id)", flash: "report.supported")
            } catch let error as AppError where [.conflict, .rateLimited].contains(error.kind) {
                return try await reportPage(request, context, community: community, report: report, error: error)
            }
        }

        router.post("/{community}/reports/{id}/comments") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let report = try await services.reports.find(try Self.id(context), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                try await services.reports.comment(on: report.id, text: form.raw("text"), by: viewer, communityID: community.id, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/reports/\(report.id)#timeline", flash: "report.commented")
            } catch let error as AppError where [.validation, .rateLimited].contains(error.kind) {
                return try await reportPage(request, context, community: community, report: report, error: error)
            }
        }

        router.post("/{community}/reports/{id}/link") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let report = try await services.reports.find(try Self.id(context), communityID: community.id)
            guard viewer.person.id == report.authorID || viewer.can(.moderate, in: community.id) else { throw AppError.forbidden }
            guard let objectID = Int(try await FormData.from(request)["object"]) else {
                throw AppError(.validation, fieldErrors: ["object": "report.error.object"])
            }
            try await services.geoportal.link(reportID: report.id, objectID: objectID, by: viewer, communityID: community.id, ip: context.clientIP)
            return services.redirect(to: "/\(community.slug)/reports/\(report.id)", flash: "report.linked")
        }

        router.post("/{community}/reports/{id}/reopen") { request, context in
            let viewer = try context.requireViewer()
            let community = try await services.community(context)
            let report = try await services.reports.find(try Self.id(context), communityID: community.id)
            let form = try await FormData.from(request)
            do {
                try await services.reports.reopen(report.id, reason: form["reason"], by: viewer, community: community, ip: context.clientIP)
                return services.redirect(to: "/\(community.slug)/reports/\(report.id)", flash: "report.reopened")
            } catch let error as AppError where [.validation, .conflict].contains(error.kind) {
                return try await reportPage(request, context, community: community, report: report, error: error)
            }
        }
    }

    static func id(_ context: AppRequestContext) throws -> Int {
        guard let id = Int(try context.parameters.require("id")) else { throw AppError.notFound }
        return id
    }

    /// The report and its photos from the form; every bad field is named in one validation error.
    static func draft(_ upload: UploadForm) throws -> (ReportDraft, [CleanedImage]) {
        let form = upload.fields
        var errors: [String: String] = [:]
        let location = GeoPoint.from(form, errors: &errors)
        let attributes = form.values.filter { $0.key.hasPrefix("attribute_") && !$0.value.isEmpty }
            .reduce(into: [String: String]()) { $0[String($1.key.dropFirst(10))] = $1.value.trimmingCharacters(in: .whitespaces) }
        let draft = ReportDraft(categoryID: Int(form["category"]), location: location, address: form["address"],
                                description: form.raw("description").trimmingCharacters(in: .whitespacesAndNewlines), attributes: attributes)
        let photos = MediaStore.photos(in: upload, limit: ReportStore.photosPerReport, errors: &errors)
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        return (draft, photos)
    }

    /// Filters from a query string: `category` (id or code), `status` (a status, `open` or
    /// `closed`), `from`/`to` (dates), `bbox=minLon,minLat,maxLon,maxLat`. A malformed one is a 400.
    static func filter(_ query: Parameters, categories: [ReportCategory], requireBoundingBox: Bool) throws -> ReportFilter {
        var filter = ReportFilter()
        if let category = query["category"].map(String.init), !category.isEmpty {
            guard let found = categories.first(where: { String($0.id) == category || $0.code == category }) else {
                throw AppError(.badRequest, detailKey: "report.error.filter")
            }
            filter.categoryIDs = [found.id]
        }
        if let status = query["status"].map(String.init), !status.isEmpty {
            switch status {
            case "open": filter.statuses = ReportStatus.allCases.filter(\.isOpen)
            case "closed": filter.statuses = ReportStatus.allCases.filter { !$0.isOpen }
            default:
                guard let one = ReportStatus(rawValue: status) else { throw AppError(.badRequest, detailKey: "report.error.filter") }
                filter.statuses = [one]
            }
        }
        for (name, keyPath) in [("from", \ReportFilter.from), ("to", \ReportFilter.to)] {
            if let text = query[Substring(name)].map(String.init), !text.isEmpty {
                guard let day = CalendarDay(iso: text) else { throw AppError(.badRequest, detailKey: "report.error.filter") }
                filter[keyPath: keyPath] = KyivTime.start(of: name == "to" ? day.adding(days: 1) : day)
            }
        }
        if let box = query["bbox"].map(String.init), !box.isEmpty {
            let numbers = box.split(separator: ",").compactMap { Double($0) }
            guard numbers.count == 4, numbers[0] < numbers[2], numbers[1] < numbers[3], (-180...180).contains(numbers[0]),
                  (-180...180).contains(numbers[2]), (-90...90).contains(numbers[1]), (-90...90).contains(numbers[3])
            else { throw AppError(.badRequest, detailKey: "report.error.filter") }
            filter.boundingBox = (numbers[0], numbers[1], numbers[2], numbers[3])
        } else if requireBoundingBox {
            throw AppError(.badRequest, detailKey: "report.error.filter")
        }
        return filter
    }

    private func view(_ context: AppRequestContext, _ community: Community) async throws -> ReportView {
        ReportView(catalogue: services.catalogue, language: context.language, slug: community.slug,
                   categories: try await services.reports.categories(of: community.id))
    }

    private func listPage(_ request: Request, _ context: AppRequestContext, community: Community) async throws -> Response {
        let view = try await view(context, community)
        let query = request.uri.queryParameters
        var page = Page("reports", titleKey: "report.list_title", community: community)
        do {
            let filter = try Self.filter(query, categories: view.categories, requireBoundingBox: false)
            let number = PageNumber.from(query["page"])
            let (reports, total) = try await services.reports.list(filter, communityID: community.id, page: number)
            let parameters = ["category", "status", "from", "to"].compactMap { name in
                query[name].map { "\(name)=\(String($0).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            }.joined(separator: "&")
            page.values = [
                "reports": reports.map(view.values), "total": total,
                "geojson": "/\(community.slug)/reports.geojson" + (parameters.isEmpty ? "" : "?" + parameters),
                "tile_url": services.configuration.tileURL,
            ]
            if number > 1 { page.values["previous"] = "/\(community.slug)/reports?\(parameters)&page=\(number - 1)" }
            if number * ReportStore.pageSize < total { page.values["next"] = "/\(community.slug)/reports?\(parameters)&page=\(number + 1)" }
        } catch let error as AppError where error.kind == .badRequest {
            page.show(error, catalogue: services.catalogue, language: context.language)
        }
        page.values["categories"] = view.categories.map {
            ["value": $0.code, "label": $0.name(context.language), "selected": query["category"].map(String.init) == $0.code] as [String: Any]
        }
        page.values["statuses"] = (["open", "closed"] + ReportStatus.allCases.map(\.rawValue)).map { code -> [String: Any] in
            let label = ReportStatus(rawValue: code).map { services.catalogue.text($0.titleKey, context.language) }
                ?? services.catalogue.text("report.filter.\(code)", context.language)
            return ["value": code, "label": label, "selected": query["status"].map(String.init) == code]
        }
        page.values["from"] = query["from"].map(String.init) ?? ""
        page.values["to"] = query["to"].map(String.init) ?? ""
        page.values["can_report"] = context.viewer != nil
        return services.renderer.response(page, request: request, context: context)
    }

    private func reportPage(
        _ request: Request, _ context: AppRequestContext, community: Community, report: Report, error: AppError? = nil
    ) async throws -> Response {
        let t = services.catalogue
        let language = context.language
        let view = try await view(context, community)
        var values = view.values(report)
        values["photos"] = (try await services.media.images(ownerType: ReportStore.sourceType, ownerIDs: [report.id])[report.id] ?? [])
            .map { ["url": $0.url] }
        values["timeline"] = try await services.reports.events(of: report.id).map { event -> [String: Any] in
            var entry: [String: Any] = ["at": KyivTime.minute(of: event.at), "what": t.text("report.event.\(event.kind)", language)]
            if let status = event.status { entry["status"] = t.text(status.titleKey, language) }
            if let actor = event.actor, event.kind == "comment" { entry["actor"] = actor }
            if !event.text.isEmpty { entry["text"] = event.text }
            return entry
        }
        for sourceID in (0...report.reopened).map({ ReportStore.sourceID(reportID: report.id, reopened: $0) }).reversed() {
            if let document = try await services.workflow.find(sourceType: ReportStore.sourceType, sourceID: sourceID, communityID: community.id) {
                values["document"] = services.documentView(language).values(document, communitySlug: community.slug)
                break
            }
        }
        if let viewer = context.viewer {
            values["signed_in"] = true
            values["supporting"] = try await services.reports.isSupporting(report.id, personID: viewer.person.id)
            values["can_support"] = report.status.isOpen && report.authorID != viewer.person.id
            values["can_reopen"] = ReportLifecycle.mayReopen(report, by: viewer.person.id, now: Date())
            if viewer.can(.moderate, in: community.id), report.status == .new,
               let position = try await services.reports.moderationQueuePosition(of: report.id, communityID: community.id) {
                let page = position / ReportModerationRoutes.reportsPerPage + 1
                values["moderation_href"] = "/\(community.slug)/moderation/reports?page=\(page)#report-\(report.id)"
            }
        }
        if let objectID = report.gisObjectID, let linked = try await services.geoportal.linkedObject(objectID) {
            values["object"] = ["href": "/\(community.slug)/map/\(linked.register.code)/\(objectID)", "register": linked.register.name(language),
                                "source_id": linked.object.sourceID]
        } else if let viewer = context.viewer, viewer.person.id == report.authorID || viewer.can(.moderate, in: community.id),
                  let suggestion = try await services.geoportal.suggestedObject(for: report, communityID: community.id) {
            values["suggestion"] = ["object_id": suggestion.object.id, "register": suggestion.register.name(language),
                                    "source_id": suggestion.object.sourceID,
                                    "object_href": "/\(community.slug)/map/\(suggestion.register.code)/\(suggestion.object.id)"]
        }
        values["tile_url"] = services.configuration.tileURL
        var page = Page("report", titleKey: "report.title", titleText: "#\(report.id) · \(values["category"] ?? "")", community: community,
                        values: values)
        page.show(error, catalogue: t, language: language)
        return services.renderer.response(page, request: request, context: context)
    }

    private func newReportPage(
        _ request: Request, _ context: AppRequestContext, community: Community, form: FormData? = nil, nearby: [Report] = [],
        error: AppError? = nil
    ) async throws -> Response {
        let view = try await view(context, community)
        let chosen = form.flatMap { Int($0["category"]) }
        var page = Page(
            "report-new", titleKey: "report.new_title", community: community,
            values: [
                "categories": view.categories.filter(\.isActive).map { category -> [String: Any] in
                    [
                        "id": category.id, "name": category.name(context.language), "days": category.responseDays,
                        "selected": category.id == chosen,
                        "attributes": category.attributes.map { attribute -> [String: Any] in
                            var values: [String: Any] = [
                                "code": attribute.code, "label": context.language == .en ? attribute.descriptionEN : attribute.descriptionUK,
                                "required": attribute.required, "value": form?["attribute_\(attribute.code)"] ?? "",
                                "list": attribute.datatype == "singlevaluelist",
                                "options": attribute.values.map { option in
                                    ["key": option.key, "name": context.language == .en ? option.nameEN : option.nameUK,
                                     "selected": form?["attribute_\(attribute.code)"] == option.key] as [String: Any]
                                },
                            ]
                            if let key = error?.fieldErrors["attribute_\(attribute.code)"] { values["error"] = services.catalogue.text(key, context.language) }
                            return values
                        },
                    ]
                },
                "latitude": form?["latitude"] ?? "", "longitude": form?["longitude"] ?? "", "address": form?["address"] ?? "",
                "description": form?.raw("description") ?? "", "nearby": nearby.map(view.values), "has_nearby": !nearby.isEmpty,
                "tile_url": services.configuration.tileURL,
            ])
        page.show(error, catalogue: services.catalogue, language: context.language)
        return services.renderer.response(page, request: request, context: context)
    }
}
