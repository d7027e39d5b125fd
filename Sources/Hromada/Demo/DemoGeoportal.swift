import Foundation
import Postgres

extension DemoData {
    /// Four registers of Khmelnytskyi kept by the demo departments, with thousands of objects at
    /// plausible places inside the city, generated here: street lights along the streets, playgrounds,
    /// municipal property and land plots.
    func loadGeoportal(community: Community) async throws {
        let departments = Dictionary(uniqueKeysWithValues: try await services.communities.departments(of: community.id).map { ($0.slug, $0.id) })
        let store = services.geoportal
        func field(_ name: String, _ type: AttributeField.Kind, _ uk: String, _ en: String) -> AttributeField {
            AttributeField(name: name, type: type, labelUK: uk, labelEN: en)
        }
        let lights = try await store.createRegister(
            code: "street-lighting", nameUK: "Вуличне освітлення", nameEN: "Street lighting", description: "Опори та світильники вуличного освітлення",
            departmentID: departments["street-lighting"]!, geometryType: .point,
            schema: [field("lamp_type", .text, "Тип світильника", "Lamp type"), field("power_w", .integer, "Потужність, Вт", "Power, W"),
                     field("installed", .date, "Встановлено", "Installed"), field("street", .text, "Вулиця", "Street")],
            feedbackCategories: ["street_lighting"], color: "#d97706", communityID: community.id, by: nil)
        let playgrounds = try await store.createRegister(
            code: "playgrounds", nameUK: "Дитячі майданчики", nameEN: "Playgrounds", description: "Дитячі та спортивні майданчики",
            departmentID: departments["ecology"]!, geometryType: .point,
            schema: [field("name", .text, "Назва", "Name"), field("equipment", .integer, "Елементів обладнання", "Pieces of equipment"),
                     field("surface", .text, "Покриття", "Surface")],
            feedbackCategories: ["green_spaces", "waste"], color: "#16a34a", communityID: community.id, by: nil)
        let property = try await store.createRegister(
            code: "municipal-property", nameUK: "Комунальне майно", nameEN: "Municipal property", description: "Будівлі та приміщення громади",
            departmentID: departments["housing"]!, geometryType: .polygon,
            schema: [field("name", .text, "Назва", "Name"), field("area_m2", .number, "Площа, м²", "Area, m²"), field("leased", .boolean, "В оренді", "Leased")],
            feedbackCategories: ["illegal_construction", "waste"], color: "#7c3aed", communityID: community.id, by: nil)
        let plots = try await store.createRegister(
            code: "land-plots", nameUK: "Земельні ділянки", nameEN: "Land plots", description: "Земельні ділянки комунальної власності",
            departmentID: departments["land"]!, geometryType: .polygon,
            schema: [field("cadastral", .text, "Кадастровий номер", "Cadastral number"), field("area_ha", .number, "Площа, га", "Area, ha"),
                     field("purpose", .text, "Призначення", "Purpose")],
            feedbackCategories: ["illegal_construction", "green_spaces"], color: "#0e7490", communityID: community.id, by: nil)
        let streets = ["Проскурівська", "Кам'янецька", "Подільська", "Зарічанська", "Свободи", "Шевченка", "Грушевського", "Трудова"]
        // Lamps every ~35 m along a grid of streets inside the city.
        try await services.database.query(
            """
            INSERT INTO gis_objects (register_id, source_id, geometry, attributes)
            SELECT $1, 'SL-' || s || '-' || n,
                   ST_SetSRID(ST_MakePoint(26.93 + CASE WHEN s % 2 = 0 THEN n * 0.00045 ELSE (s * 0.0125) END,
                                           49.395 + CASE WHEN s % 2 = 0 THEN (s * 0.0075) ELSE n * 0.0003 END), 4326),
                   jsonb_build_object('lamp_type', (ARRAY['LED 60 Вт', 'LED 100 Вт', 'ДНаТ 150 Вт'])[1 + n % 3], 'power_w', (ARRAY[60, 100, 150])[1 + n % 3],
                                      'installed', to_char(DATE '2012-01-01' + (n * 37 % 4000), 'YYYY-MM-DD'), 'street', ($2::text[])[1 + s % 8])
            FROM generate_series(0, 7) AS s, generate_series(0, 220) AS n
            """, lights.id, streets)
        try await services.database.query(
            """
            INSERT INTO gis_objects (register_id, source_id, geometry, attributes)
            SELECT $1, 'PG-' || n, ST_SetSRID(ST_MakePoint(26.94 + (n * 7919 % 1000) * 0.0001, 49.40 + (n * 104729 % 600) * 0.0001), 4326),
                   jsonb_build_object('name', 'Майданчик №' || n, 'equipment', 3 + n % 9, 'surface', (ARRAY['гумове', 'пісок', 'трава'])[1 + n % 3])
            FROM generate_series(1, 160) AS n
            """, playgrounds.id)
        try await services.database.query(
            """
            INSERT INTO gis_objects (register_id, source_id, geometry, attributes)
            SELECT $1, 'MP-' || n, ST_Expand(ST_SetSRID(ST_MakePoint(26.945 + (n * 613 % 900) * 0.0001, 49.402 + (n * 331 % 500) * 0.0001), 4326), 0.00015),
                   jsonb_build_object('name', 'Приміщення №' || n, 'area_m2', 50 + n % 900, 'leased', n % 3 = 0)
            FROM generate_series(1, 400) AS n
            """, property.id)
        try await services.database.query(
            """
            INSERT INTO gis_objects (register_id, source_id, geometry, attributes)
            SELECT $1, '6810100000:' || lpad((n / 100)::text, 2, '0') || ':' || lpad((n % 100)::text, 3, '0'),
                   ST_MakeEnvelope(26.93 + (n % 60) * 0.0018, 49.39 + (n / 60) * 0.0012, 26.93 + (n % 60) * 0.0018 + 0.0015, 49.39 + (n / 60) * 0.0012 + 0.001, 4326),
                   jsonb_build_object('cadastral', '6810100000:' || lpad((n / 100)::text, 2, '0') || ':' || lpad((n % 100)::text, 3, '0'),
                                      'area_ha', round((0.1 + (n % 50) * 0.02)::numeric, 2), 'purpose', (ARRAY['житлова забудова', 'рекреація', 'комерційна'])[1 + n % 3])
            FROM generate_series(0, 1499) AS n
            """, plots.id)
        try await services.database.query("ANALYZE gis_objects")
    }
}
