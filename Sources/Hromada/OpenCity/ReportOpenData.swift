import Foundation
import Hummingbird

/// `/{community}/open-data/reports.geojson` and `.csv`: every report of a period (`from`, `to`,
/// default the last 90 days), with category, status and the official notes.
struct ReportOpenData {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        router.get("/{community}/open-data/reports.geojson") { request, context in
            let (community, reports, categories) = try await exported(request, context)
            struct Feature: Encodable {
                var type = "Feature"
                var id: Int
                var geometry: ReportGeoJSON.Point
                var properties: [String: String?]
            }
            struct Collection: Encodable {
                var type = "FeatureCollection"
                var features: [Feature]
            }
            return try JSONResponse.geoJSON(Collection(features: reports.map { report in
                Feature(id: report.id, geometry: .init(coordinates: [report.location.longitude, report.location.latitude]),
                        properties: properties(report, categories: categories, community: community))
            }))
        }
        router.get("/{community}/open-data/reports.csv") { request, context in
            let (community, reports, categories) = try await exported(request, context)
            let columns = ["id", "category", "status", "created_at", "updated_at", "address", "description", "notes", "supporters", "url"]
            var csv = CSV(header: ["id", "latitude", "longitude"] + columns.dropFirst())
            for report in reports {
                let values = properties(report, categories: categories, community: community)
                csv.append([String(report.id), String(report.location.latitude), String(report.location.longitude)]
                           + columns.dropFirst().map { (values[$0] ?? nil) ?? "" })
            }
            return csv.response(filename: "\(community.slug)-reports.csv")
        }
    }

    private func exported(_ request: Request, _ context: AppRequestContext) async throws -> (Community, [Report], [ReportCategory]) {
        let community = try await services.community(context)
        let categories = try await services.reports.categories(of: community.id)
        var filter = try ReportRoutes.filter(request.uri.queryParameters, categories: categories, requireBoundingBox: false)
        if filter.from == nil && filter.to == nil { filter.from = Date().addingTimeInterval(-90 * 86_400) }
        let (reports, _) = try await services.reports.list(filter, communityID: community.id, page: 1, pageSize: 100_000)
        return (community, reports, categories)
    }

    private func properties(_ report: Report, categories: [ReportCategory], community: Community) -> [String: String?] {
        let stamp = ISO8601DateFormatter()
        return [
            "category": categories.first { $0.id == report.categoryID }?.code, "status": report.status.rawValue,
            "created_at": stamp.string(from: report.createdAt), "updated_at": stamp.string(from: report.updatedAt),
            "address": report.address, "description": report.description, "notes": report.statusNotes,
            "supporters": String(report.supporters), "url": services.configuration.publicURL + "/\(community.slug)/reports/\(report.id)",
        ]
    }
}
