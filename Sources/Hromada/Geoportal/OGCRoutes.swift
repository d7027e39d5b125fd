import Foundation
import Hummingbird
import Postgres

/// OGC API – Features, Part 1 Core with GeoJSON, under `/ogc/{community}/`: the landing page,
/// conformance, one collection per public register plus the Open City reports, their items with
/// `bbox`, `limit`, `offset` and attribute filters, and single features.
struct OGCRoutes {
    let services: AppServices

    static let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
    static let defaultLimit = 10
    static let maximumLimit = 10_000
    /// Far past any register; small enough that no page arithmetic on it can overflow.
    static let maximumOffset = 1_000_000_000
    static let reportsCollection = "reports"
    /// OGC names its members in camel case (`numberMatched`); no key conversion here.
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    struct OGCError: Error {
        var status: HTTPResponse.Status
        var description: String
    }

    func register(on router: Router<AppRequestContext>) {
        // The router treats `/ogc/{community}/` and `/ogc/{community}` alike.
        router.get("/ogc/{community}") { _, context in
            try await answer {
                let community = try await services.community(context)
                let base = base(community)
                return try json([
                    "title": .string(community.nameEN + " — GIS registers"),
                    "description": .string("OGC API – Features for the public registers and Open City reports of \(community.nameEN)"),
                    "links": .array([
                        link(base + "/", "self", "application/json", "This document"),
                        link(base + "/conformance", "conformance", "application/json", "Conformance classes"),
                        link(base + "/collections", "data", "application/json", "Collections"),
                    ]),
                ])
            }
        }
        router.get("/ogc/{community}/conformance") { _, context in
            try await answer {
                _ = try await services.community(context)
                return try json(["conformsTo": .array([
                    .string("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core"),
                    .string("http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"),
                ])])
            }
        }
        router.get("/ogc/{community}/collections") { _, context in
            try await answer {
                let community = try await services.community(context)
                var collections: [JSONValue] = []
                for register in try await services.geoportal.registers(communityID: community.id) {
                    collections.append(try await collection(register.code, title: register.nameEN, description: register.description, community: community))
                }
                collections.append(try await collection(Self.reportsCollection, title: "Open City reports", description: "Problem reports", community: community))
                return try json(["links": .array([link(base(community) + "/collections", "self", "application/json", "Collections")]),
                                 "collections": .array(collections)])
            }
        }
        router.get("/ogc/{community}/collections/{collection}") { _, context in
            try await answer {
                let community = try await services.community(context)
                let id = try context.parameters.require("collection")
                if id == Self.reportsCollection {
                    return try json(try await collection(id, title: "Open City reports", description: "Problem reports", community: community))
                }
                let register = try await publicRegister(id, community)
                return try json(try await collection(register.code, title: register.nameEN, description: register.description, community: community))
            }
        }
        router.get("/ogc/{community}/collections/{collection}/items") { request, context in
            try await answer { try await items(request, context) }
        }
        router.get("/ogc/{community}/collections/{collection}/items/{feature}") { _, context in
            try await answer {
                let community = try await services.community(context)
                let id = try context.parameters.require("collection")
                guard let featureID = Int(try context.parameters.require("feature")) else { throw OGCError(status: .notFound, description: "no such feature") }
                let base = base(community) + "/collections/\(id)/items/\(featureID)"
                var feature: [String: JSONValue]
                if id == Self.reportsCollection {
                    guard let report = try? await services.reports.find(featureID, communityID: community.id) else {
                        throw OGCError(status: .notFound, description: "no such feature")
                    }
                    feature = reportFeature(report)
                } else {
                    let register = try await publicRegister(id, community)
                    guard let object = try? await services.geoportal.object(featureID, in: register) else {
                        throw OGCError(status: .notFound, description: "no such feature")
                    }
                    feature = try objectFeature(object)
                }
                feature["links"] = .array([link(base, "self", "application/geo+json", "This feature"),
                                           link(self.base(community) + "/collections/\(id)", "collection", "application/json", "The collection")])
                return try json(feature, contentType: "application/geo+json")
            }
        }
    }

    private func base(_ community: Community) -> String { services.configuration.publicURL + "/ogc/\(community.slug)" }

    private func link(_ href: String, _ rel: String, _ type: String, _ title: String) -> JSONValue {
        .object(["href": .string(href), "rel": .string(rel), "type": .string(type), "title": .string(title)])
    }

    private func json(_ object: [String: JSONValue], contentType: String = "application/json") throws -> Response {
        try json(.object(object), contentType: contentType)
    }

    private func json(_ value: JSONValue, contentType: String = "application/json") throws -> Response {
        Response(status: .ok, headers: [.contentType: contentType],
                 body: .init(byteBuffer: ByteBuffer(bytes: try Self.encoder.encode(value))))
    }

    /// Runs `body`, turning OGC errors and bad parameters into `{"code", "description"}` bodies.
    private func answer(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let error as OGCError {
            return Response(status: error.status, headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(bytes: try Self.encoder.encode(
                                ["code": String(error.status.code), "description": error.description]))))
        }
    }

    private func publicRegister(_ code: String, _ community: Community) async throws -> GISRegister {
        guard let register = try? await services.geoportal.register(code: code, communityID: community.id), register.isPublic else {
            throw OGCError(status: .notFound, description: "no collection \(code)")
        }
        return register
    }

    private func collection(_ id: String, title: String, description: String, community: Community) async throws -> JSONValue {
        let extent = try await services.geoportal.extent(of: id, communityID: community.id)
        let base = base(community) + "/collections/\(id)"
        return .object([
            "id": .string(id), "title": .string(title), "description": .string(description), "itemType": .string("feature"),
            "crs": .array([.string(Self.crs84)]),
            "extent": .object(["spatial": .object(["bbox": .array([.array(extent.map(JSONValue.number))]), "crs": .string(Self.crs84)])]),
            "links": .array([link(base, "self", "application/json", title), link(base + "/items", "items", "application/geo+json", "Features")]),
        ])
    }

    private func items(_ request: Request, _ context: AppRequestContext) async throws -> Response {
        let community = try await services.community(context)
        let id = try context.parameters.require("collection")
        let query = request.uri.queryParameters
        let register = id == Self.reportsCollection ? nil : try await publicRegister(id, community)
        let attributeNames = Set(register?.schema.map(\.name) ?? [])
        var seen: Set<Substring> = []
        for (name, _) in query where !seen.insert(name).inserted {
            throw OGCError(status: .badRequest, description: "parameter \(name) is given more than once")
        }
        for (name, _) in query where !["bbox", "limit", "offset", "f", "datetime", "bbox-crs"].contains(String(name)) && !attributeNames.contains(String(name)) {
            throw OGCError(status: .badRequest, description: "unknown parameter \(name)")
        }
        if let crs = query["bbox-crs"], String(crs) != Self.crs84 { throw OGCError(status: .badRequest, description: "bbox-crs must be CRS84") }
        let limit = try query["limit"].map { text -> Int in
            guard let value = Int(String(text)), value >= 1 else { throw OGCError(status: .badRequest, description: "limit must be a positive integer") }
            return min(value, Self.maximumLimit)
        } ?? Self.defaultLimit
        let offset = try query["offset"].map { text -> Int in
            guard let value = Int(String(text)), (0...Self.maximumOffset).contains(value) else {
                throw OGCError(status: .badRequest, description: "offset must be between 0 and \(Self.maximumOffset)")
            }
            return value
        } ?? 0
        var box: (Double, Double, Double, Double)?
        if let text = query["bbox"] {
            let numbers = text.split(separator: ",").compactMap { Double($0) }
            guard numbers.count == 4, numbers[0] <= numbers[2], numbers[1] <= numbers[3] else {
                throw OGCError(status: .badRequest, description: "bbox is minLon,minLat,maxLon,maxLat")
            }
            box = (numbers[0], numbers[1], numbers[2], numbers[3])
        }
        // Features come as GeoJSON text, written by PostgreSQL for registers.
        var features: [String] = []
        var matched: Int?
        if let register {
            let filters = Dictionary(uniqueKeysWithValues: query.filter { attributeNames.contains(String($0.key)) }.map { (String($0.key), String($0.value)) })
            (features, matched) = try await services.geoportal.featurePage(in: register, boundingBox: box, filters: filters, limit: limit, offset: offset)
        } else {
            var filter = ReportFilter()
            filter.boundingBox = box
            let (reports, count) = try await services.reports.list(filter, communityID: community.id, page: 1 + offset / limit, pageSize: limit)
            features = try (offset % limit == 0 ? reports : []).map { String(decoding: try Self.encoder.encode(JSONValue.object(reportFeature($0))), as: UTF8.self) }
            matched = count
        }
        let base = base(community) + "/collections/\(id)/items"
        let others = query.filter { !["limit", "offset"].contains(String($0.key)) }
            .map { "\($0.key)=\(String($0.value).addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.sorted()
        func page(_ offset: Int) -> String { base + "?" + (others + ["limit=\(limit)", "offset=\(offset)"]).joined(separator: "&") }
        var links = [link(page(offset), "self", "application/geo+json", "This page")]
        if features.count == limit && matched.map({ offset + features.count < $0 }) ?? true {
            links.append(link(page(offset + limit), "next", "application/geo+json", "Next page"))
        }
        if offset > 0 { links.append(link(page(max(0, offset - limit)), "prev", "application/geo+json", "Previous page")) }
        // The envelope is encoded as usual and the features spliced in as they came.
        var envelope: [String: JSONValue] = [
            "type": .string("FeatureCollection"), "numberReturned": .number(Double(features.count)),
            "timeStamp": .string(ISO8601DateFormatter().string(from: Date())), "links": .array(links),
        ]
        if let matched { envelope["numberMatched"] = .number(Double(matched)) }
        let head = String(String(decoding: try Self.encoder.encode(JSONValue.object(envelope)), as: UTF8.self).dropLast())
        let body: String = head + #","features":["# + features.joined(separator: ",") + "]}"
        return Response(status: .ok, headers: [.contentType: "application/geo+json"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }

    private func objectFeature(_ object: GISObject) throws -> [String: JSONValue] {
        var properties: [String: JSONValue] = ["source_id": .string(object.sourceID), "version": .number(Double(object.version))]
        for (name, value) in object.attributes {
            properties[name] = switch value {
            case .text(let text): .string(text)
            case .integer(let number): .number(Double(number))
            case .number(let number): .number(number)
            case .boolean(let flag): .bool(flag)
            }
        }
        return ["type": .string("Feature"), "id": .number(Double(object.id)),
                "geometry": try JSONDecoder().decode(JSONValue.self, from: Data(object.geometry.utf8)), "properties": .object(properties)]
    }

    private func reportFeature(_ report: Report) -> [String: JSONValue] {
        ["type": .string("Feature"), "id": .number(Double(report.id)),
         "geometry": .object(["type": .string("Point"), "coordinates": .array([.number(report.location.longitude), .number(report.location.latitude)])]),
         "properties": .object(["status": .string(report.status.rawValue), "category_id": .number(Double(report.categoryID)),
                                "created_at": .string(ISO8601DateFormatter().string(from: report.createdAt)), "supporters": .number(Double(report.supporters))])]
    }
}
