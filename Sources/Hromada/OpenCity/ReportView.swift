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
    struct Point: Encodable {
        var type = "Point"
        var coordinates: [Double]
    }

    /// The map's points, written directly: the map asks for thousands of them on every pan, and
    /// every value is a number, a status code or a path, none needing escaping beyond what
    /// ``JSONResponse`` would do for a slug.
    static func mapCollection(_ points: [MapPoint], slug: String, truncated: Bool) -> String {
        let slug = String(slug.unicodeScalars.filter { $0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-" })
        var json = #"{"type":"FeatureCollection","truncated":"# + (truncated ? "true" : "false") + #","features":["#
        json.reserveCapacity(points.count * 150)
        for (index, point) in points.enumerated() {
            if index > 0 { json += "," }
            json += #"{"type":"Feature","id":\#(point.id),"geometry":{"type":"Point","coordinates":["#
            json += String(format: "%.6f,%.6f", point.longitude, point.latitude)
            json += #"]},"properties":{"status":"\#(point.status.rawValue)","category_id":"\#(point.categoryID)","url":"/\#(slug)/reports/\#(point.id)"}}"#
        }
        return json + "]}"
    }
}
