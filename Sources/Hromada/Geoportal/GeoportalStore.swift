import Foundation
import Postgres

/// A GIS object with its geometry as GeoJSON text.
public struct GISObject: Sendable {
    public var id: Int
    public var registerID: Int
    public var sourceID: String
    public var geometry: String
    public var attributes: [String: AttributeValue]
    public var version: Int
    public var updatedAt: Date
    /// A point on the object (its centroid, or a point on its surface), for reports about it.
    public var anchor: GeoPoint
}

/// One feature to import: its source identifier, its GeoJSON geometry and checked attributes.
public struct ImportFeature: Sendable {
    public var number: Int
    public var sourceID: String
    public var geometry: String
    public var attributes: [String: AttributeValue]
}

/// Registers and objects in PostgreSQL; feedback on an object goes to Open City.
public struct GeoportalStore: Sendable {
    let database: PostgresPool
    /// Object pages and OGC items read from here (see ``AppServices/replica``).
    let replica: PostgresPool
    let workflow: WorkflowStore
    let reports: ReportStore

    public static let feedbackSource = "geo_feedback"

    static let selectRegister = """
        SELECT id, community_id, code, name_uk, name_en, description, department_id, geometry_type, attribute_schema, feedback_categories,
               is_public, color
        FROM gis_registers
        """

    static func register(_ row: PostgresRow) throws -> GISRegister {
        GISRegister(
            id: try row.decode("id"), communityID: try row.decode("community_id"), code: try row.decode("code"), nameUK: try row.decode("name_uk"),
            nameEN: try row.decode("name_en"), description: try row.decode("description"), departmentID: try row.decode("department_id"),
            geometryType: GeometryType(rawValue: try row.decode("geometry_type")) ?? .point,
            schema: try row.decode("attribute_schema", as: PostgresJSON.self).decode([AttributeField].self, decoder: JSONDecoder()),
            feedbackCategories: try row.decode("feedback_categories"), isPublic: try row.decode("is_public"), color: try row.decode("color"))
    }

    public func registers(communityID: Int, publicOnly: Bool = true) async throws -> [GISRegister] {
        try await database.query(Self.selectRegister + " WHERE community_id = $1 AND (is_public OR NOT $2) ORDER BY name_uk", communityID, publicOnly)
            .map(Self.register)
    }

    public func register(code: String, communityID: Int) async throws -> GISRegister {
        guard let row = try await database.query(Self.selectRegister + " WHERE community_id = $1 AND code = $2", communityID, code).first else {
            throw AppError.notFound
        }
        return try Self.register(row)
    }

    /// Creates a register; the schema's names must be distinct identifiers.
    public func createRegister(code: String, nameUK: String, nameEN: String, description: String, departmentID: Int, geometryType: GeometryType,
                               schema: [AttributeField], feedbackCategories: [String], color: String = "#0b5cad", isPublic: Bool = true,
                               communityID: Int, by actorID: Int?) async throws -> GISRegister {
        let names = schema.map(\.name)
        guard Set(names).count == names.count, names.allSatisfy({ $0.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil }) else {
            throw AppError(.validation, fieldErrors: ["schema": "gis.error.schema"])
        }
        return try await database.transaction { session in
            let id: Int = try await session.query(
                """
                INSERT INTO gis_registers (community_id, code, name_uk, name_en, description, department_id, geometry_type, attribute_schema,
                                           feedback_categories, is_public, color)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id
                """, communityID, code, nameUK, nameEN, description, departmentID, geometryType.rawValue,
                try PostgresJSON(encoding: schema, encoder: JSONEncoder()), feedbackCategories, isPublic, color)[0].decode("id")
            try await AuditLog.record(AuditEntry(actorID: actorID, communityID: communityID, action: "gis.register_create",
                                                 objectType: "gis_register", objectID: String(id), summary: code), on: session)
            guard let row = try await session.query(Self.selectRegister + " WHERE id = $1", id).first else { throw AppError.notFound }
            return try Self.register(row)
        }
    }

    /// Changes a register's names, description, schema, feedback categories, visibility and colour.
    /// Objects keep their stored attributes; a field taken out of the schema is no longer shown.
    public func updateRegister(_ register: GISRegister, nameUK: String, nameEN: String, description: String, schema: [AttributeField],
                               feedbackCategories: [String], isPublic: Bool, color: String, by actorID: Int?) async throws {
        let names = schema.map(\.name)
        guard Set(names).count == names.count, names.allSatisfy({ $0.range(of: "^[a-z][a-z0-9_]{0,39}$", options: .regularExpression) != nil }) else {
            throw AppError(.validation, fieldErrors: ["schema": "gis.error.schema"])
        }
        try await database.transaction { session in
            try await session.query(
                """
                UPDATE gis_registers SET name_uk = $2, name_en = $3, description = $4, attribute_schema = $5, feedback_categories = $6,
                                         is_public = $7, color = $8
                WHERE id = $1
                """, register.id, nameUK, nameEN, description, try PostgresJSON(encoding: schema, encoder: JSONEncoder()), feedbackCategories,
                isPublic, color)
            try await AuditLog.record(AuditEntry(actorID: actorID, communityID: register.communityID, action: "gis.register_update",
                                                 objectType: "gis_register", objectID: String(register.id), summary: register.code), on: session)
        }
    }

    // MARK: - Import

    /// Writes one batch in one transaction: each feature is inserted, or updates the object with
    /// the same source identifier. Features whose geometry is invalid or of another kind than the
    /// register's are left out and returned with the reason.
    public func upsert(_ batch: [ImportFeature], into register: GISRegister, by actorID: Int?) async throws
        -> (inserted: Int, updated: Int, rejected: [(number: Int, reason: String)])
    {
        let attributes = try batch.map { String(decoding: try JSONEncoder().encode($0.attributes), as: UTF8.self) }
        let rows = try await database.transaction { session in
            try await session.query(
                """
                WITH input AS (
                    SELECT n, source_id, ST_SetSRID(ST_GeomFromGeoJSON(geometry), 4326) AS g, attributes::jsonb AS attributes
                    FROM unnest($2::int[], $3::text[], $4::text[], $5::text[]) AS i(n, source_id, geometry, attributes)
                ), checked AS (
                    SELECT *, ST_IsValid(g) AS valid, GeometryType(g) AS kind FROM input
                ), written AS (
                    INSERT INTO gis_objects (register_id, source_id, geometry, attributes, updated_by)
                    SELECT $1, source_id, g, attributes, $6 FROM checked WHERE valid AND kind = ANY($7)
                    ON CONFLICT (register_id, source_id)
                    DO UPDATE SET geometry = EXCLUDED.geometry, attributes = EXCLUDED.attributes, updated_by = EXCLUDED.updated_by
                    RETURNING source_id, (xmax = 0) AS inserted
                )
                SELECT c.n, c.valid, c.kind, w.inserted FROM checked c LEFT JOIN written w ON w.source_id = c.source_id
                """, register.id, batch.map(\.number), batch.map(\.sourceID), batch.map(\.geometry), attributes, actorID,
                register.geometryType.postgisTypes)
        }
        var inserted = 0, updated = 0
        var rejected: [(number: Int, reason: String)] = []
        for row in rows {
            if let wasInserted: Bool = try row.decode("inserted") {
                if wasInserted { inserted += 1 } else { updated += 1 }
            } else if try !row.decode("valid", as: Bool.self) {
                rejected.append((try row.decode("n"), "invalid geometry"))
            } else {
                rejected.append((try row.decode("n"), "geometry \(try row.decode("kind", as: String.self)) in a \(register.geometryType.rawValue) register"))
            }
        }
        return (inserted, updated, rejected)
    }

    /// Whether the viewer may edit the register's objects: staff of the keeping department, and administrators.
    public static func canEdit(_ register: GISRegister, viewer: Viewer) -> Bool {
        viewer.can(.administer, in: register.communityID) || viewer.departments(in: register.communityID).contains(register.departmentID)
    }

    /// Changes an object's geometry (GeoJSON of the register's kind) and attributes (as typed in a
    /// form); the trigger keeps the earlier state. Bad input changes nothing.
    public func edit(_ object: GISObject, in register: GISRegister, geometry: String, attributes: [String: String], by viewer: Viewer,
                     ip: String?) async throws {
        guard Self.canEdit(register, viewer: viewer) else { throw AppError.forbidden }
        var errors: [String: String] = [:]
        let values = attributes.mapValues { JSONValue.string($0.trimmingCharacters(in: .whitespaces)) }
        var clean: [String: AttributeValue] = [:]
        switch AttributeSchema.validate(values, against: register.schema) {
        case .success(let checked): clean = checked
        case .failure(let error): errors["attribute_\(error.field)"] = "gis.error.attribute"
        }
        let parsed = try? JSONDecoder().decode(JSONValue.self, from: Data(geometry.utf8))
        guard case .object(let shape)? = parsed, case .string(let type)? = shape["type"], register.geometryType.geoJSONTypes.contains(type),
              LayerImport.hasNumericCoordinates(shape["coordinates"])
        else {
            errors["geometry"] = "gis.error.geometry"
            throw AppError(.validation, fieldErrors: errors)
        }
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        try await database.transaction { session in
            let valid: Bool = try await session.query(
                "SELECT ST_IsValid(ST_SetSRID(ST_GeomFromGeoJSON($1), 4326)) AS valid", geometry)[0].decode("valid")
            guard valid else { throw AppError(.validation, fieldErrors: ["geometry": "gis.error.geometry"]) }
            try await session.query(
                """
                UPDATE gis_objects SET geometry = ST_SetSRID(ST_GeomFromGeoJSON($2), 4326), attributes = $3::jsonb, updated_by = $4
                WHERE id = $1
                """, object.id, geometry, String(decoding: try JSONEncoder().encode(clean), as: UTF8.self), viewer.person.id)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: register.communityID, action: "gis.object_edit",
                                                 objectType: "gis_object", objectID: String(object.id), summary: register.code, ip: ip), on: session)
        }
    }

    // MARK: - Reading

    static let selectObject = """
        SELECT o.id, o.register_id, o.source_id, ST_AsGeoJSON(o.geometry, 6) AS geometry, o.attributes, o.version, o.updated_at,
               ST_Y(ST_PointOnSurface(o.geometry)) AS anchor_lat, ST_X(ST_PointOnSurface(o.geometry)) AS anchor_lon
        FROM gis_objects o
        """

    static func object(_ row: PostgresRow) throws -> GISObject {
        GISObject(
            id: try row.decode("id"), registerID: try row.decode("register_id"), sourceID: try row.decode("source_id"),
            geometry: try row.decode("geometry"),
            attributes: try row.decode("attributes", as: PostgresJSON.self).decode([String: AttributeValue].self, decoder: JSONDecoder()),
            version: try row.decode("version"), updatedAt: try row.decode("updated_at"),
            anchor: GeoPoint(latitude: try row.decode("anchor_lat"), longitude: try row.decode("anchor_lon")))
    }

    /// Matches are counted exactly up to this many; beyond it an items page leaves `numberMatched` out.
    static let countedMatches = 10_000

    /// A page of a register's objects as GeoJSON Feature texts, written by PostgreSQL, and how many
    /// match when there are at most ``countedMatches``. A bounded count through the spatial index
    /// tells a sparse box (fetched through that index, then sorted) from a dense one (walked in id
    /// order), as for the Open City map.
    public func featurePage(in register: GISRegister, boundingBox: (Double, Double, Double, Double)?, filters: [String: String], limit: Int,
                            offset: Int) async throws -> (features: [String], matched: Int?) {
        let (condition, parameters) = Self.condition(register: register, boundingBox: boundingBox, filters: filters)
        let counted: Int = try await replica.query(
            "SELECT count(*)::int AS n FROM (SELECT 1 FROM gis_objects o WHERE \(condition) LIMIT \(Self.countedMatches + 1)) x",
            parameters: parameters, planning: .eachRun)[0].decode("n")
        let order = counted >= 5_000 ? "o.id" : "o.id + 0"
        let features = try await replica.query(
            """
            SELECT json_build_object('type', 'Feature', 'id', o.id, 'geometry', ST_AsGeoJSON(o.geometry, 6)::json,
                                     'properties', o.attributes || jsonb_build_object('source_id', o.source_id, 'version', o.version))::text AS feature
            FROM gis_objects o WHERE \(condition) ORDER BY \(order) LIMIT $\(parameters.count + 1) OFFSET $\(parameters.count + 2)
            """, parameters: parameters + [limit, offset], planning: .eachRun
        ).map { try $0.decode("feature", as: String.self) }
        return (features, counted <= Self.countedMatches ? counted : nil)
    }

    static func condition(register: GISRegister, boundingBox: (Double, Double, Double, Double)?, filters: [String: String])
        -> (sql: String, parameters: [any PostgresEncodable])
    {
        var clauses = ["o.register_id = $1"]
        var parameters: [any PostgresEncodable] = [register.id]
        if let box = boundingBox {
            parameters += [box.0, box.1, box.2, box.3]
            clauses.append("o.geometry && ST_MakeEnvelope($2, $3, $4, $5, 4326)")
        }
        for (name, value) in filters.sorted(by: { $0.key < $1.key }) {
            parameters += [name, value]
            clauses.append("o.attributes ->> $\(parameters.count - 1) = $\(parameters.count)")
        }
        return (clauses.joined(separator: " AND "), parameters)
    }

    /// A page of a register's objects in a box, with attribute filters (`name = value`), and how many match.
    public func objects(in register: GISRegister, boundingBox: (Double, Double, Double, Double)?, filters: [String: String], limit: Int,
                        offset: Int) async throws -> (objects: [GISObject], matched: Int) {
        let (condition, parameters) = Self.condition(register: register, boundingBox: boundingBox, filters: filters)
        let objects = try await replica.query(
            Self.selectObject + " WHERE \(condition) ORDER BY o.id LIMIT $\(parameters.count + 1) OFFSET $\(parameters.count + 2)",
            parameters: parameters + [limit, offset], planning: .eachRun
        ).map(Self.object)
        let matched: Int = try await replica.query("SELECT count(*)::int AS n FROM gis_objects o WHERE \(condition)", parameters: parameters,
                                                    planning: .eachRun)[0].decode("n")
        return (objects, matched)
    }

    /// Every object of the register in id order as GeoJSON Feature texts (`feature`), written by
    /// PostgreSQL: the register's open-data export, read through a cursor.
    static func featuresExport(of register: GISRegister) -> PostgresStatement {
        PostgresStatement(
            """
            SELECT json_build_object('type', 'Feature', 'id', o.id, 'geometry', ST_AsGeoJSON(o.geometry, 6)::json,
                                     'properties', o.attributes || jsonb_build_object('source_id', o.source_id, 'version', o.version))::text AS feature
            FROM gis_objects o WHERE o.register_id = $1 ORDER BY o.id
            """, register.id)
    }

    /// Every object of the register in id order, with the columns ``object(_:)`` reads.
    static func objectsExport(of register: GISRegister) -> PostgresStatement {
        PostgresStatement(Self.selectObject + " WHERE o.register_id = $1 ORDER BY o.id", register.id)
    }

    /// A `version` that changes whenever the register's exports would: an object added, removed
    /// or edited (every edit sets `updated_at`), or the register's fields (the CSV's columns).
    static func openDataVersion(of register: GISRegister) -> PostgresStatement {
        PostgresStatement(
            "SELECT concat_ws('.', count(*), max(id), max(updated_at), $2::text) AS version FROM gis_objects WHERE register_id = $1",
            register.id, register.schema.map(\.name).joined(separator: ","))
    }

    public func object(_ id: Int, in register: GISRegister) async throws -> GISObject {
        guard let row = try await database.query(Self.selectObject + " WHERE o.id = $1 AND o.register_id = $2", id, register.id).first else {
            throw AppError.notFound
        }
        return try Self.object(row)
    }

    /// The bounding box of a collection (a register's code, or `reports`), minLon, minLat, maxLon,
    /// maxLat; the whole world when it is empty.
    public func extent(of collection: String, communityID: Int) async throws -> [Double] {
        let row = try await database.query(
            collection == "reports"
                ? "SELECT ST_XMin(e) AS a, ST_YMin(e) AS b, ST_XMax(e) AS c, ST_YMax(e) AS d FROM (SELECT ST_Extent(location) AS e FROM reports WHERE community_id = $1) x"
                : """
                  SELECT ST_XMin(e) AS a, ST_YMin(e) AS b, ST_XMax(e) AS c, ST_YMax(e) AS d
                  FROM (SELECT ST_Extent(o.geometry) AS e FROM gis_objects o JOIN gis_registers r ON r.id = o.register_id
                        WHERE r.community_id = $1 AND r.code = $2) x
                  """,
            parameters: collection == "reports" ? [communityID] : [communityID, collection])[0]
        guard let a: Double = try row.decode("a"), let b: Double = try row.decode("b"), let c: Double = try row.decode("c"),
              let d: Double = try row.decode("d") else { return [-180, -90, 180, 90] }
        return [a, b, c, d]
    }

    /// Objects whose attributes contain `text`, across the public registers.
    public func search(_ text: String, communityID: Int, limit: Int = 50) async throws -> [(register: String, object: GISObject)] {
        try await database.query(
            """
            SELECT r.code, o.id, o.register_id, o.source_id, ST_AsGeoJSON(o.geometry, 6) AS geometry, o.attributes, o.version, o.updated_at,
                   ST_Y(ST_PointOnSurface(o.geometry)) AS anchor_lat, ST_X(ST_PointOnSurface(o.geometry)) AS anchor_lon
            FROM gis_objects o JOIN gis_registers r ON r.id = o.register_id
            WHERE r.community_id = $1 AND r.is_public AND (o.attributes::text ILIKE '%' || $2 || '%' OR o.source_id = $2)
            ORDER BY o.id LIMIT $3
            """, communityID, text, limit
        ).map { (try $0.decode("code"), try Self.object($0)) }
    }

    /// The object's earlier states, newest first; at most `limit` of them when given.
    public func history(of id: Int, limit: Int? = nil) async throws -> [(version: Int, attributes: [String: AttributeValue], from: Date, until: Date)] {
        try await database.query(
            "SELECT version, attributes, valid_from, valid_until FROM gis_object_versions WHERE object_id = $1 ORDER BY version DESC LIMIT $2",
            id, limit
        ).map {
            (try $0.decode("version"), try $0.decode("attributes", as: PostgresJSON.self).decode([String: AttributeValue].self, decoder: JSONDecoder()),
             try $0.decode("valid_from"), try $0.decode("valid_until"))
        }
    }

    /// The object a report is probably about: the nearest one within 30 m in a register whose
    /// feedback form offers the report's category.
    public func suggestedObject(for report: Report, communityID: Int) async throws -> (register: GISRegister, object: GISObject)? {
        guard let row = try await database.query(
            """
            SELECT o.register_id, o.id FROM gis_objects o
            JOIN gis_registers g ON g.id = o.register_id
            JOIN report_categories c ON c.id = $2 AND c.code = ANY(g.feedback_categories)
            WHERE g.community_id = $1 AND ST_DWithin(o.geometry::geography, ST_SetSRID(ST_MakePoint($4, $3), 4326)::geography, $5)
            ORDER BY o.geometry::geography <-> ST_SetSRID(ST_MakePoint($4, $3), 4326)::geography LIMIT 1
            """, communityID, report.categoryID, report.location.latitude, report.location.longitude, Self.linkRadiusMetres
        ).first else { return nil }
        let registerID: Int = try row.decode("register_id")
        guard let registerRow = try await database.query(Self.selectRegister + " WHERE id = $1", registerID).first else { return nil }
        let register = try Self.register(registerRow)
        return (register, try await object(try row.decode("id"), in: register))
    }

    public static let linkRadiusMetres = 30.0

    /// Links a report to an object (the reporter or a moderator confirms the suggestion). The
    /// object must be one ``suggestedObject(for:communityID:)`` could offer: within
    /// ``linkRadiusMetres`` of the report, in a register whose feedback form takes its category.
    public func link(reportID: Int, objectID: Int, by viewer: Viewer, communityID: Int, ip: String?) async throws {
        try await database.transaction { session in
            let rows = try await session.query(
                """
                SELECT ST_DWithin(o.geometry::geography, r.location::geography, $4)
                       AND c.code = ANY(g.feedback_categories) AS may_link
                FROM reports r JOIN report_categories c ON c.id = r.category_id, gis_objects o JOIN gis_registers g ON g.id = o.register_id
                WHERE r.id = $1 AND r.community_id = $3 AND o.id = $2 AND g.community_id = $3
                FOR UPDATE OF r
                """, reportID, objectID, communityID, Self.linkRadiusMetres)
            guard let row = rows.first else { throw AppError.notFound }
            guard try row.decode("may_link", as: Bool.self) else {
                throw AppError(.validation, detailKey: "report.error.link_rule", fieldErrors: ["object": "report.error.link_rule"])
            }
            try await session.query("UPDATE reports SET gis_object_id = $2 WHERE id = $1", reportID, objectID)
            try await AuditLog.record(AuditEntry(actorID: viewer.person.id, communityID: communityID, action: "report.link_object",
                                                 objectType: "report", objectID: String(reportID), summary: "object \(objectID)", ip: ip), on: session)
        }
    }

    /// The register and object a report is linked to.
    public func linkedObject(_ objectID: Int) async throws -> (register: GISRegister, object: GISObject)? {
        guard let row = try await database.query("SELECT register_id FROM gis_objects WHERE id = $1", objectID).first,
              let registerRow = try await database.query(Self.selectRegister + " WHERE id = $1", try row.decode("register_id", as: Int.self)).first
        else { return nil }
        let register = try Self.register(registerRow)
        return (register, try await object(objectID, in: register))
    }

    /// Reports about an object, newest first.
    public func reports(about id: Int, communityID: Int, limit: Int? = nil) async throws -> [Report] {
        try await database.query(
            ReportStore.select + " WHERE r.gis_object_id = $1 AND r.community_id = $2 ORDER BY r.id DESC LIMIT $3", id, communityID, limit)
            .map(ReportStore.report)
    }

    /// Feedback on an object: an Open City report at the object, linked to it, accepted at once
    /// and registered in the workflow (journal ГП) with the department that keeps the register.
    public func feedback(on object: GISObject, in register: GISRegister, draft: ReportDraft, photos: [CleanedImage], by viewer: Viewer,
                         community: Community, ip: String?) async throws -> Int {
        guard let categoryID = draft.categoryID,
              let category = try await reports.categories(of: community.id).first(where: { $0.id == categoryID }),
              register.feedbackCategories.contains(category.code)
        else { throw AppError(.validation, fieldErrors: ["category": "report.error.category"]) }
        var draft = draft
        draft.location = object.anchor
        let outbox = reports.outbox
        let title = "\(register.nameUK) \(object.sourceID): \(String(draft.description.prefix(120)))"
        return try await reports.file(draft, photos: photos, by: .person(viewer), community: community, ip: ip) { [workflow] id, session in
            try await session.query("UPDATE reports SET gis_object_id = $2 WHERE id = $1", id, object.id)
            let report = try await ReportStore.lock(id, communityID: community.id, on: session)
            try await ReportStore.move(report, .accept, actorID: nil, text: "", communitySlug: community.slug, outbox: outbox, on: session)
            _ = try await workflow.register(
                RegistrationRequest(kind: .geoFeedback, sourceType: ReportStore.sourceType, sourceID: String(id),
                                    title: title,
                                    category: category.code, authorID: viewer.person.id, departmentID: register.departmentID),
                communityID: community.id, communitySlug: community.slug, on: session)
        }
    }
}
