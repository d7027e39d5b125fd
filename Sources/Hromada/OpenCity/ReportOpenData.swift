import Foundation
import Hummingbird
import Postgres

/// `/{community}/open-data/reports.geojson` and `.csv`: every report of a period (`from`, `to`,
/// default the last 90 days), with category, status and the official notes, streamed newest first
/// (see ``OpenDataExport``).
struct ReportOpenData {
    let services: AppServices

    func register(on router: Router<AppRequestContext>) {
        let openData = OpenDataExport(services: services)
        router.get("/{community}/open-data/reports.geojson") { request, context in
            let (community, filter, categories) = try await exported(request, context)
            let rows = ReportStore.openDataExport(filter, communityID: community.id)
            struct Feature: Encodable {
                var type = "Feature"
                var id: Int
                var geometry: ReportGeoJSON.Point
                var properties: [String: String?]
            }
            return try await openData.streamed(
                request, format: .geoJSONFeatures, version: ReportStore.openDataVersion(filter, communityID: community.id), rows: rows
            ) { row in
                let report = try ReportStore.report(row)
                return try OpenDataExport.json(Feature(
                    id: report.id, geometry: .init(coordinates: [report.location.longitude, report.location.latitude]),
                    properties: properties(report, categories: categories, community: community)))
            }
        }
        router.get("/{community}/open-data/reports.csv") { request, context in
            let (community, filter, categories) = try await exported(request, context)
            let rows = ReportStore.openDataExport(filter, communityID: community.id)
            let columns = ["id", "category", "status", "created_at", "updated_at", "address", "description", "notes", "supporters", "url"]
            return try await openData.streamed(
                request, format: .csv(header: ["id", "latitude", "longitude"] + columns.dropFirst()), filename: "\(community.slug)-reports.csv",
                version: ReportStore.openDataVersion(filter, communityID: community.id), rows: rows
            ) { row in
                let report = try ReportStore.report(row)
                let values = properties(report, categories: categories, community: community)
                return OpenDataExport.csvLine([String(report.id), String(report.location.latitude), String(report.location.longitude)]
                                              + columns.dropFirst().map { (values[$0] ?? nil) ?? "" })
            }
        }
    }

    /// The community, the request's filter (the 90 days before the start of today in Kyiv when it names
    /// no period), and the categories.
    private func exported(_ request: Request, _ context: AppRequestContext) async throws -> (Community, ReportFilter, [ReportCategory]) {
        let community = try await services.community(context)
        let categories = try await services.reports.categories(of: community.id)
        var filter = try ReportRoutes.filter(request.uri.queryParameters, categories: categories, requireBoundingBox: false)
        if filter.from == nil && filter.to == nil {
            filter.from = KyivTime.start(of: KyivTime.day(of: Date())).addingTimeInterval(-90 * 86_400)
        }
        return (community, filter, categories)
    }

    private func properties(_ report: Report, categories: [ReportCategory], community: Community) -> [String: String?] {
        [
            "category": categories.first { $0.id == report.categoryID }?.code, "status": report.status.rawValue,
            "created_at": report.createdAt.formatted(.iso8601), "updated_at": report.updatedAt.formatted(.iso8601),
            "address": report.address, "description": report.description, "notes": report.statusNotes,
            "supporters": String(report.supporters), "url": services.configuration.publicURL + "/\(community.slug)/reports/\(report.id)",
        ]
    }
}
