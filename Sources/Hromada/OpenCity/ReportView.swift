import Foundation

/// Template values for reports.
struct ReportView {
    let catalogue: TranslationCatalogue
    let language: Language
    let slug: String
    let categories: [ReportCategory]

    func values(_ report: Report) -> [String: Any] {
        let category = categories.first { $0.id == report.categoryID }
        var values: [String: Any] = [
            "id": report.id, "href": "/\(slug)/reports/\(report.id)", "category": category?.name(language) ?? "",
            "status": catalogue.text(report.status.titleKey, language), "status_code": report.status.rawValue,
            "open": report.status.isOpen, "description": report.description, "address": report.address,
            "latitude": String(format: "%.6f", report.location.latitude), "longitude": String(format: "%.6f", report.location.longitude),
            "created_on": KyivTime.day(of: report.createdAt).isoString, "supporters": report.supporters,
            "reporter": report.reporterName, "target_days": category?.responseDays ?? 0,
        ]
        if let notes = report.statusNotes { values["notes"] = notes }
        if let merged = report.mergedInto { values["merged_into"] = ["id": merged, "href": "/\(slug)/reports/\(merged)"] as [String: Any] }
        if let category {
            values["attributes"] = category.attributes.compactMap { attribute -> [String: Any]? in
                guard let value = report.attributes[attribute.code] else { return nil }
                let shown = attribute.values.first { $0.key == value }.map { language == .en ? $0.nameEN : $0.nameUK } ?? value
                return ["label": language == .en ? attribute.descriptionEN : attribute.descriptionUK, "value": shown]
            }
        }
        return values
    }
}

/// Reports as GeoJSON (RFC 7946) for the map and open data.
enum ReportGeoJSON {
    struct Collection: Encodable {
        var type = "FeatureCollection"
        var features: [Feature]
        /// More reports match than were returned; the map asks the person to zoom in.
        var truncated: Bool?
    }

    struct Feature: Encodable {
        var type = "Feature"
        var id: Int
        var geometry: Point
        var properties: [String: String]
    }

    struct Point: Encodable {
        var type = "Point"
        var coordinates: [Double]
    }

    static func collection(_ points: [MapPoint], slug: String, truncated: Bool) -> Collection {
        Collection(features: points.map {
            Feature(id: $0.id, geometry: Point(coordinates: [$0.longitude, $0.latitude]),
                    properties: ["status": $0.status.rawValue, "category_id": String($0.categoryID), "url": "/\(slug)/reports/\($0.id)"])
        }, truncated: truncated)
    }
}
