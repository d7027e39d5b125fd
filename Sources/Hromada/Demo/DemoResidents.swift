import Foundation
import Postgres

extension DemoData {
    static let firstNames = ["Андрій", "Олена", "Богдан", "Марія", "Тарас", "Ірина", "Василь", "Наталія", "Олег", "Світлана",
                             "Юрій", "Оксана", "Петро", "Тетяна", "Роман", "Галина", "Степан", "Людмила", "Віктор", "Надія"]
    static let lastNames = ["Коваленко", "Бондаренко", "Ткаченко", "Шевчук", "Кравчук", "Мельник", "Поліщук", "Лисенко",
                            "Гнатюк", "Савчук", "Мороз", "Павлюк", "Кузьмич", "Дячук", "Олійник", "Марченко"]

    /// Adds `count` verified adult residents (`resident-<prefix>-<n>@khmelnytskyi.demo`) in a few
    /// set-based statements, and returns their ids. Used by the demo loader and by load tests.
    public static func addResidents(_ count: Int, prefix: String, communityID: Int, passwordHash: String, on session: PostgresSession) async throws -> [Int] {
        let ids = try await session.query(
            """
            INSERT INTO people (email, password_hash, full_name)
            SELECT 'resident-' || $1 || '-' || n || '@khmelnytskyi.demo', $2,
                   ($4::text[])[1 + n % array_length($4::text[], 1)] || ' ' || ($5::text[])[1 + (n / 7) % array_length($5::text[], 1)]
            FROM generate_series(1, $3) AS n
            RETURNING id
            """, prefix, passwordHash, count, firstNames, lastNames
        ).map { try $0.decode("id", as: Int.self) }
        try await session.query(
            """
            INSERT INTO identity_documents (document_hash, person_id)
            SELECT sha256(convert_to('demo-resident-' || id, 'UTF8')), id FROM unnest($1::bigint[]) AS id
            """, ids)
        try await session.query(
            """
            INSERT INTO verifications (community_id, person_id, source, verified_name, birth_date, is_resident, document_type, document_hash)
            SELECT $2, p.id, 'in_person', p.full_name, DATE '1960-01-01' + (p.id * 37 % 15000)::int, true, 'id_card',
                   sha256(convert_to('demo-resident-' || p.id, 'UTF8'))
            FROM people p WHERE p.id = ANY($1::bigint[])
            """, ids, communityID)
        try await session.query(
            "INSERT INTO role_grants (community_id, person_id, role) SELECT $2, id, 'citizen' FROM unnest($1::bigint[]) AS id",
            ids, communityID)
        return ids
    }
}
