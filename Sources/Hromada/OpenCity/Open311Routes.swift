import Foundation
import Hummingbird
import Postgres

/// Open311 GeoReport v2 (open311.org) under `/open311/v2/`, in JSON and XML, with
/// `jurisdiction_id` the community's slug: services, a service's definition, posting a request
/// with an application's API key, reading requests with the standard filters, one request, and
/// a token. Errors use the specification's format with 400, 403 and 404.
///
/// Status mapping: new, accepted and in progress are `open`; resolved, rejected and not resolved
/// are `closed`. `status_notes` carries the rejection reason or the official answer.
struct Open311Routes {
    let services: AppServices

    /// Requests returned by a search at most, and the default period.
    static let maximumResults = 1_000
    static let defaultDays = 90

    func register(on router: Router<AppRequestContext>) {
        router.get("/open311/v2/{file}") { request, context in
            try await answer(context, file: "file") { format in
                let name = try context.parameters.require("file")
                let community = try await jurisdiction(request.uri.queryParameters["jurisdiction_id"].map(String.init))
                switch Open311Document.Format.split(name)?.name {
                case "services": return try await serviceList(community, format: format, language: language(request))
                case "requests": return try await requestList(request, community: community, format: format)
                default: throw Open311Error(.notFound, "Unknown resource")
                }
            }
        }
        router.post("/open311/v2/{file}") { request, context in
            try await answer(context, file: "file") { format in
                guard Open311Document.Format.split(try context.parameters.require("file"))?.name == "requests" else {
                    throw Open311Error(.notFound, "Unknown resource")
                }
                return try await post(request, context: context, format: format)
            }
        }
        router.get("/open311/v2/services/{file}") { request, context in
            try await answer(context, file: "file") { format in
                let code = Open311Document.Format.split(try context.parameters.require("file"))?.name ?? ""
                let community = try await jurisdiction(request.uri.queryParameters["jurisdiction_id"].map(String.init))
                guard let category = try await services.reports.categories(of: community.id).first(where: { $0.code == code && $0.isActive }) else {
                    throw Open311Error(.notFound, "No service with the code \(code)")
                }
                return Open311Document(outer: "service_definition", inner: "", records: [definition(category, language: language(request))],
                                       single: true).response(format)
            }
        }
        router.get("/open311/v2/requests/{file}") { request, context in
            try await answer(context, file: "file") { format in
                let community = try await jurisdiction(request.uri.queryParameters["jurisdiction_id"].map(String.init))
                guard let id = Int(Open311Document.Format.split(try context.parameters.require("file"))?.name ?? "") else {
                    throw Open311Error(.notFound, "No such service request")
                }
                var filter = ReportFilter()
                filter.ids = [id]
                let records = try await requestRecords(filter, community: community, limit: 1, language: language(request))
                guard !records.isEmpty else { throw Open311Error(.notFound, "No such service request") }
                return Open311Document(outer: "service_requests", inner: "request", records: records).response(format)
            }
        }
        router.get("/open311/v2/tokens/{file}") { request, context in
            try await answer(context, file: "file") { format in
                let community = try await jurisdiction(request.uri.queryParameters["jurisdiction_id"].map(String.init))
                let token = Open311Document.Format.split(try context.parameters.require("file"))?.name ?? ""
                guard let id = Self.requestID(fromToken: token), (try? await services.reports.find(id, communityID: community.id)) != nil else {
                    throw Open311Error(.notFound, "No such token")
                }
                return Open311Document(outer: "service_requests", inner: "request",
                                       records: [[("service_request_id", .text(String(id))), ("token", .text(token))]]).response(format)
            }
        }
    }

    struct Open311Error: Error {
        var status: HTTPResponse.Status
        var description: String
        init(_ status: HTTPResponse.Status, _ description: String) {
            self.status = status
            self.description = description
        }
    }

    /// Runs `body` for the format the file name asks for, turning failures into the specification's errors.
    private func answer(_ context: AppRequestContext, file: String, _ body: (Open311Document.Format) async throws -> Response) async throws -> Response {
        guard let format = Open311Document.Format.split(try context.parameters.require(file))?.format else {
            return Open311Document.error(.notFound, "Use the .json or .xml form of the resource", format: .json)
        }
        do {
            return try await body(format)
        } catch let error as Open311Error {
            return Open311Document.error(error.status, error.description, format: format)
        } catch let error as AppError where error.kind == .validation {
            let fields = error.fieldErrors.keys.sorted().joined(separator: ", ")
            return Open311Document.error(.badRequest, "Invalid or missing: \(fields)", format: format)
        }
    }

    /// The community named by `jurisdiction_id`; it may be left out when the deployment has one.
    private func jurisdiction(_ slug: String?) async throws -> Community {
        if let slug, !slug.isEmpty {
            guard let community = try? await services.communities.require(slug: slug) else {
                throw Open311Error(.notFound, "Unknown jurisdiction_id")
            }
            return community
        }
        let all = try await services.communities.all()
        guard all.count == 1 else { throw Open311Error(.badRequest, "jurisdiction_id is required") }
        return all[0]
    }

    private func language(_ request: Request) -> Language {
        request.headers[.acceptLanguage]?.lowercased().hasPrefix("en") == true ? .en : .uk
    }

    private func serviceList(_ community: Community, format: Open311Document.Format, language: Language) async throws -> Response {
        let records = try await services.reports.categories(of: community.id).filter(\.isActive).map { category -> Open311Document.Record in
            [("service_code", .text(category.code)), ("service_name", .text(category.name(language))),
             ("description", .text(category.description(language))), ("metadata", .flag(!category.attributes.isEmpty)),
             ("type", .text("realtime")), ("keywords", .text("")), ("group", .text(""))]
        }
        return Open311Document(outer: "services", inner: "service", records: records).response(format)
    }

    private func definition(_ category: ReportCategory, language: Language) -> Open311Document.Record {
        [
            ("service_code", .text(category.code)),
            ("attributes", .list(outer: "attributes", inner: "attribute", records: category.attributes.enumerated().map { index, attribute in
                [
                    ("variable", .flag(true)), ("code", .text(attribute.code)), ("datatype", .text(attribute.datatype)),
                    ("required", .flag(attribute.required)), ("datatype_description", .text("")), ("order", .integer(index + 1)),
                    ("description", .text(language == .en ? attribute.descriptionEN : attribute.descriptionUK)),
                    ("values", .list(outer: "values", inner: "value", records: attribute.values.map {
                        [("key", .text($0.key)), ("name", .text(language == .en ? $0.nameEN : $0.nameUK))]
                    })),
                ]
            })),
        ]
    }

    private func requestList(_ request: Request, community: Community, format: Open311Document.Format) async throws -> Response {
        let query = request.uri.queryParameters
        var filter = ReportFilter()
        if let ids = query["service_request_id"].map(String.init), !ids.isEmpty {
            filter.ids = try ids.split(separator: ",").map {
                guard let id = Int($0.trimmingCharacters(in: .whitespaces)) else { throw Open311Error(.badRequest, "service_request_id must be numbers") }
                return id
            }
        }
        let categories = try await services.reports.categories(of: community.id)
        if let codes = query["service_code"].map(String.init), !codes.isEmpty {
            filter.categoryIDs = try codes.split(separator: ",").map { code in
                guard let category = categories.first(where: { $0.code == code }) else { throw Open311Error(.badRequest, "Unknown service_code \(code)") }
                return category.id
            }
        }
        if let status = query["status"].map(String.init), !status.isEmpty {
            let wanted = status.split(separator: ",").map(String.init)
            guard wanted.allSatisfy({ $0 == "open" || $0 == "closed" }) else { throw Open311Error(.badRequest, "status is open or closed") }
            filter.statuses = ReportStatus.allCases.filter { wanted.contains($0.open311Status) }
        }
        filter.from = try Self.date(query["start_date"].map(String.init), name: "start_date")
        filter.to = try Self.date(query["end_date"].map(String.init), name: "end_date")
        // Without ids or dates the specification asks for the last 90 days.
        if filter.ids.isEmpty && filter.from == nil && filter.to == nil {
            filter.from = Date().addingTimeInterval(-Double(Self.defaultDays) * 86_400)
        }
        if let from = filter.from, let to = filter.to, from >= to { throw Open311Error(.badRequest, "start_date must be before end_date") }
        let records = try await requestRecords(filter, community: community, limit: Self.maximumResults, language: language(request))
        return Open311Document(outer: "service_requests", inner: "request", records: records).response(format)
    }

    private func requestRecords(_ filter: ReportFilter, community: Community, limit: Int, language: Language) async throws -> [Open311Document.Record] {
        let (reports, _) = try await services.reports.list(filter, communityID: community.id, page: 1, pageSize: limit)
        let categories = try await services.reports.categories(of: community.id)
        let departments = try await services.communities.departments(of: community.id)
        let photos = try await services.media.images(ownerType: ReportStore.sourceType, ownerIDs: reports.map(\.id))
        let stamp = ISO8601DateFormatter()
        return reports.map { report in
            let category = categories.first { $0.id == report.categoryID }
            let department = departments.first { $0.id == category?.departmentID }
            return [
                ("service_request_id", .text(String(report.id))), ("status", .text(report.status.open311Status)),
                ("status_notes", .text(report.statusNotes)), ("service_name", .text(category?.name(language))),
                ("service_code", .text(category?.code)), ("description", .text(report.description)),
                ("agency_responsible", .text(department?.name(language))), ("service_notice", .text(nil)),
                ("requested_datetime", .text(stamp.string(from: report.createdAt))),
                ("updated_datetime", .text(stamp.string(from: report.updatedAt))),
                ("expected_datetime", .text(category.map { stamp.string(from: report.createdAt.addingTimeInterval(Double($0.responseDays) * 86_400)) })),
                ("address", .text(report.address)), ("address_id", .text(nil)), ("zipcode", .text(nil)),
                ("lat", .number(report.location.latitude)), ("long", .number(report.location.longitude)),
                ("media_url", .text(photos[report.id]?.first.map { services.configuration.publicURL + $0.url })),
            ]
        }
    }

    private func post(_ request: Request, context: AppRequestContext, format: Open311Document.Format) async throws -> Response {
        let form = try await FormData.from(request)
        let community = try await jurisdiction(request.uri.queryParameters["jurisdiction_id"].map(String.init) ?? form["jurisdiction_id"])
        guard !form["api_key"].isEmpty else { throw Open311Error(.forbidden, "api_key is required") }
        guard let application = try await services.reports.application(forKey: form["api_key"], communityID: community.id) else {
            throw Open311Error(.forbidden, "Invalid api_key")
        }
        let categories = try await services.reports.categories(of: community.id)
        guard let category = categories.first(where: { $0.code == form["service_code"] && $0.isActive }) else {
            throw Open311Error(.badRequest, "service_code is missing or unknown")
        }
        guard let latitude = Double(form["lat"]), let longitude = Double(form["long"]), (-90...90).contains(latitude), (-180...180).contains(longitude)
        else { throw Open311Error(.badRequest, "lat and long are required (this jurisdiction places every request on the map)") }
        let attributes = form.values.reduce(into: [String: String]()) { result, pair in
            if pair.key.hasPrefix("attribute["), pair.key.hasSuffix("]") { result[String(pair.key.dropFirst(10).dropLast())] = pair.value }
        }
        let name = [form["first_name"], form["last_name"]].filter { !$0.isEmpty }.joined(separator: " ")
        let id = try await services.reports.file(
            ReportDraft(categoryID: category.id, location: GeoPoint(latitude: latitude, longitude: longitude), address: form["address_string"],
                        description: form["description"], attributes: attributes),
            by: .application(id: application, name: name.isEmpty ? nil : String(name.prefix(200)),
                             email: form["email"].isEmpty ? nil : String(form["email"].prefix(254))),
            community: community, ip: context.clientIP)
        return Open311Document(outer: "service_requests", inner: "request", records: [[
            ("service_request_id", .text(String(id))), ("token", .text(Self.token(forRequest: id))),
            ("service_notice", .text("Moderated within 2 working days; target response \(category.responseDays) days")),
            ("account_id", .text(nil)),
        ]]).response(format, status: .created)
    }

    static func token(forRequest id: Int) -> String { "hromada-\(id)" }

    static func requestID(fromToken token: String) -> Int? {
        token.hasPrefix("hromada-") ? Int(token.dropFirst(8)) : nil
    }

    /// A w3c date-time such as `2026-11-01T00:00:00Z` or with an offset.
    static func date(_ text: String?, name: String) throws -> Date? {
        guard let text, !text.isEmpty else { return nil }
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date }
        throw Open311Error(.badRequest, "\(name) must be a w3c date-time such as 2026-11-01T00:00:00Z")
    }
}
