import Foundation

/// Reads a GeoJSON FeatureCollection, or a CSV with coordinate columns, into features checked
/// against a register's schema, and writes them in batches, each in its own transaction.
public struct LayerImport {
    public static let batchSize = 2_000

    /// A feature that could not be taken, by its number in the file (1 for the first feature or
    /// the first data line of a CSV) and why.
    public struct Rejection: Sendable, Equatable {
        public var number: Int
        public var reason: String
    }

    public struct Summary: Sendable {
        public var inserted = 0
        public var updated = 0
        public var rejected: [Rejection] = []
    }

    let store: GeoportalStore
    let register: GISRegister

    public init(store: GeoportalStore, register: GISRegister) {
        self.store = store
        self.register = register
    }

    /// Parses the file (GeoJSON by a `.geojson`/`.json` name or a leading `{`, otherwise CSV),
    /// then imports it, calling `progress(done, total)` after each batch.
    public func run(_ data: Data, fileName: String, actorID: Int?, progress: (Int, Int) -> Void) async throws -> Summary {
        let isJSON = fileName.hasSuffix(".geojson") || fileName.hasSuffix(".json") || data.first == UInt8(ascii: "{")
        var (features, rejected) = isJSON ? try Self.geoJSON(data, register: register) : Self.csv(data, register: register)
        // The same source identifier twice: the later feature wins, the earlier is reported.
        var last: [String: Int] = [:]
        for (index, feature) in features.enumerated() { last[feature.sourceID] = index }
        rejected += features.enumerated().filter { last[$1.sourceID] != $0 }.map { Rejection(number: $1.number, reason: "source id \($1.sourceID) appears again later") }
        features = features.enumerated().filter { last[$1.sourceID] == $0 }.map(\.element)
        var summary = Summary(rejected: rejected)
        var done = 0
        for start in stride(from: 0, to: features.count, by: Self.batchSize) {
            let batch = Array(features[start..<min(start + Self.batchSize, features.count)])
            let result = try await store.upsert(batch, into: register, by: actorID)
            summary.inserted += result.inserted
            summary.updated += result.updated
            summary.rejected += result.rejected.map { Rejection(number: $0.number, reason: $0.reason) }
            done += batch.count
            progress(done, features.count)
        }
        summary.rejected.sort { $0.number < $1.number }
        return summary
    }

    struct Collection: Decodable {
        var type: String
        var features: [Feature]
    }

    struct Feature: Decodable {
        var id: JSONValue?
        var geometry: JSONValue?
        var properties: [String: JSONValue]?
    }

    /// The features of a GeoJSON FeatureCollection. The source identifier is the feature's `id`,
    /// or its `id` / `source_id` property.
    static func geoJSON(_ data: Data, register: GISRegister) throws -> ([ImportFeature], [Rejection]) {
        let collection: Collection
        do {
            collection = try JSONDecoder().decode(Collection.self, from: data)
        } catch {
            throw ImportError("not a GeoJSON FeatureCollection: \(error)")
        }
        guard collection.type == "FeatureCollection" else { throw ImportError("not a GeoJSON FeatureCollection") }
        var features: [ImportFeature] = []
        var rejected: [Rejection] = []
        for (index, feature) in collection.features.enumerated() {
            let number = index + 1
            let properties = feature.properties ?? [:]
            guard let sourceID = identifier(feature.id) ?? identifier(properties["id"]) ?? identifier(properties["source_id"]) else {
                rejected.append(Rejection(number: number, reason: "no id"))
                continue
            }
            guard case .object(let geometry)? = feature.geometry, case .string(let type)? = geometry["type"],
                  register.geometryType.geoJSONTypes.contains(type), geometry["coordinates"] != nil,
                  let text = try? String(decoding: JSONEncoder().encode(feature.geometry), as: UTF8.self)
            else {
                rejected.append(Rejection(number: number, reason: "missing geometry, or not a \(register.geometryType.rawValue)"))
                continue
            }
            guard hasNumericCoordinates(geometry["coordinates"]) else {
                rejected.append(Rejection(number: number, reason: "coordinates are not numbers"))
                continue
            }
            switch AttributeSchema.validate(properties, against: register.schema) {
            case .success(let attributes): features.append(ImportFeature(number: number, sourceID: sourceID, geometry: text, attributes: attributes))
            case .failure(let error): rejected.append(Rejection(number: number, reason: error.description))
            }
        }
        return (features, rejected)
    }

    /// The data lines of a CSV (a header line, then features; fields may be quoted) with the point
    /// in `longitude`/`lon`/`x` and `latitude`/`lat`/`y` columns and the identifier in `id` or
    /// `source_id`; the other columns are attributes. Only point registers take CSV.
    static func csv(_ data: Data, register: GISRegister) -> ([ImportFeature], [Rejection]) {
        let rows = CSVReader.rows(String(decoding: data, as: UTF8.self))
        guard let header = rows.first?.map({ $0.lowercased() }) else { return ([], []) }
        func column(_ names: [String]) -> Int? { header.firstIndex { names.contains($0) } }
        guard register.geometryType == .point, let lon = column(["longitude", "lon", "x"]), let lat = column(["latitude", "lat", "y"]),
              let idColumn = column(["id", "source_id"])
        else { return ([], [Rejection(number: 0, reason: "a CSV needs id, latitude and longitude columns, for a point register")]) }
        var features: [ImportFeature] = []
        var rejected: [Rejection] = []
        for (index, row) in rows.dropFirst().enumerated() where !(row.count == 1 && row[0].isEmpty) {
            let number = index + 1
            guard row.count == header.count else { rejected.append(Rejection(number: number, reason: "\(row.count) fields, expected \(header.count)")); continue }
            guard let x = Double(row[lon]), let y = Double(row[lat]), (-180...180).contains(x), (-90...90).contains(y) else {
                rejected.append(Rejection(number: number, reason: "coordinates are not numbers in range"))
                continue
            }
            var values: [String: JSONValue] = [:]
            for (position, name) in header.enumerated() where ![lon, lat, idColumn].contains(position) { values[name] = .string(row[position]) }
            switch AttributeSchema.validate(values, against: register.schema) {
            case .success(let attributes):
                features.append(ImportFeature(number: number, sourceID: row[idColumn], geometry: #"{"type":"Point","coordinates":[\#(x),\#(y)]}"#,
                                              attributes: attributes))
            case .failure(let error): rejected.append(Rejection(number: number, reason: error.description))
            }
        }
        return (features, rejected)
    }

    static func identifier(_ value: JSONValue?) -> String? {
        switch value {
        case .string(let text) where !text.isEmpty && text.count <= 200: text
        case .number(let number) where number == number.rounded(): String(Int(number))
        default: nil
        }
    }

    static func hasNumericCoordinates(_ value: JSONValue?) -> Bool {
        switch value {
        case .number(let number): number.isFinite
        case .array(let items): !items.isEmpty && items.allSatisfy(hasNumericCoordinates)
        default: false
        }
    }

    public struct ImportError: Error, CustomStringConvertible {
        public var description: String
        init(_ description: String) { self.description = description }
    }
}

/// RFC 4180 CSV reading: quoted fields may hold commas, quotes (doubled) and line breaks.
enum CSVReader {
    static func rows(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field = ""
        var quoted = false
        var characters = text.makeIterator()
        var pending: Character?
        while let character = pending ?? characters.next() {
            pending = nil
            if quoted {
                if character == "\"" {
                    if let next = characters.next() {
                        if next == "\"" { field.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { field.append(character) }
            } else if character == "\"" && field.isEmpty {
                quoted = true
            } else if character == "," {
                row.append(field)
                field = ""
            } else if character == "\n" || character == "\r\n" {
                row.append(field)
                rows.append(row)
                row = []
                field = ""
            } else if character != "\r" {
                field.append(character)
            }
        }
        if !field.isEmpty || !row.isEmpty {
            row.append(field)
            rows.append(row)
        }
        return rows
    }
}
