import Foundation
import Postgres
import TestSupport
import Testing

@Suite struct TypeRoundTripTests {
    func database() async throws -> PostgresPool { try await TestDatabase.shared.pool(for: "types") }

    func roundTrip<T: PostgresCodable & Equatable>(_ value: T, as sqlType: String) async throws -> T {
        let pool = try await database()
        return try await pool.query("SELECT $1::\(sqlType) AS value", value)[0].decode("value", as: T.self)
    }

    @Test func scalars() async throws {
        #expect(try await roundTrip(42, as: "int8") == 42)
        #expect(try await roundTrip(Int.min, as: "int8") == Int.min)
        #expect(try await roundTrip(Int64(-7), as: "int8") == -7)
        #expect(try await roundTrip(Int32.max, as: "int4") == Int32.max)
        #expect(try await roundTrip(3.25, as: "float8") == 3.25)
        #expect(try await roundTrip(true, as: "bool") == true)
        #expect(try await roundTrip(false, as: "bool") == false)
        #expect(try await roundTrip("Хмельницький ' \" \\ ☀", as: "text") == "Хмельницький ' \" \\ ☀")
        let id = UUID()
        #expect(try await roundTrip(id, as: "uuid") == id)
        let bytes = Data([0, 1, 0xfe, 0xff, 0x5c, 0x27])
        #expect(try await roundTrip(bytes, as: "bytea") == bytes)
        #expect(try await roundTrip(Data(), as: "bytea") == Data())
    }

    /// libpq takes C strings: a NUL would cut the text there and store what came before it.
    /// The driver refuses such a parameter before sending anything, alone or in a pipeline, and
    /// the connection stays usable.
    @Test func textWithNULIsRefusedNotCut() async throws {
        let pool = try await database()
        try await pool.query("CREATE TABLE IF NOT EXISTS nul_texts (value text)")
        await #expect(throws: PostgresError.self) { try await pool.query("INSERT INTO nul_texts VALUES ($1)", "a\u{0}b") }
        do {
            _ = try await pool.transaction([PostgresStatement("INSERT INTO nul_texts VALUES ('ok')"), PostgresStatement("INSERT INTO nul_texts VALUES ($1)", "x\u{0}")])
            Issue.record("a pipeline with a NUL parameter ran")
        } catch let error as PostgresError {
            #expect(error.kind == .invalidParameter)
        }
        #expect(try await pool.query("SELECT count(*)::int AS n FROM nul_texts")[0].decode("n", as: Int.self) == 0)
        #expect(try await roundTrip("still works", as: "text") == "still works")
    }

    @Test func datesKeepMicroseconds() async throws {
        let instant = Date(timeIntervalSince1970: 1_795_000_123.456789)
        let back = try await roundTrip(instant, as: "timestamptz")
        #expect(abs(back.timeIntervalSince1970 - instant.timeIntervalSince1970) < 0.000_002)
        let before1970 = Date(timeIntervalSince1970: -86_400 * 365.25 * 30 + 0.5)
        let backBefore = try await roundTrip(before1970, as: "timestamptz")
        #expect(abs(backBefore.timeIntervalSince1970 - before1970.timeIntervalSince1970) < 0.000_002)
        let day = CalendarDay(year: 2024, month: 2, day: 29)
        #expect(try await roundTrip(day, as: "date") == day)
    }

    @Test func serverComputedTimestampMatchesClock() async throws {
        let pool = try await database()
        let now = try await pool.query("SELECT now() AS now")[0].decode("now", as: Date.self)
        #expect(abs(now.timeIntervalSinceNow) < 60)
        let offset = try await pool.query("SELECT '2026-01-01 12:00:00+05:30'::timestamptz AS t")[0].decode("t", as: Date.self)
        #expect(offset == Date(timeIntervalSince1970: 1_767_249_000))
    }

    @Test func jsonb() async throws {
        struct Settings: Codable, Equatable { var threshold: Int; var name: String }
        let json = try PostgresJSON(encoding: Settings(threshold: 500, name: "Хмельницький"))
        let back = try await roundTrip(json, as: "jsonb")
        #expect(try back.decode(Settings.self) == Settings(threshold: 500, name: "Хмельницький"))
    }

    @Test func nulls() async throws {
        let pool = try await database()
        let row = try await pool.query("SELECT $1::text AS a, $2::int8 AS b, $3::timestamptz AS c", String?.none, Int?.none, Date?.none)[0]
        #expect(try row.decode("a", as: String?.self) == nil)
        #expect(try row.decode("b", as: Int?.self) == nil)
        #expect(try row.decode("c", as: Date?.self) == nil)
        #expect(row.isNull("a"))
        #expect(try await roundTrip(Optional(5), as: "int8") == 5)
    }

    @Test func decodingNullAsNonOptionalNamesTheColumn() async throws {
        let pool = try await database()
        let row = try await pool.query("SELECT NULL::text AS nickname")[0]
        let error = #expect(throws: PostgresDecodingError.self) { try row.decode("nickname", as: String.self) }
        #expect(error?.column == "nickname")
        let textRow = try await pool.query("SELECT 'abc'::text AS amount")[0]
        let wrongType = #expect(throws: PostgresDecodingError.self) { try textRow.decode("amount", as: Int.self) }
        #expect(wrongType?.column == "amount")
    }

    @Test func arrays() async throws {
        #expect(try await roundTrip([1, 2, 3], as: "int8[]") == [1, 2, 3])
        #expect(try await roundTrip([Int](), as: "int8[]") == [])
        let awkward = ["a b", "кома,тут", "quote\"d", "back\\slash", "NULL", "", "{braces}"]
        #expect(try await roundTrip(awkward, as: "text[]") == awkward)
        #expect(try await roundTrip(["x", nil, "y"] as [String?], as: "text[]") == ["x", nil, "y"])
        #expect(try await roundTrip([true, false], as: "bool[]") == [true, false])
        #expect(try await roundTrip([1.5, -2], as: "float8[]") == [1.5, -2])
        let ids = [UUID(), UUID()]
        #expect(try await roundTrip(ids, as: "uuid[]") == ids)
        let blobs = [Data([1, 2]), Data([0xff])]
        #expect(try await roundTrip(blobs, as: "bytea[]") == blobs)
        let days = [CalendarDay(year: 2026, month: 1, day: 1), CalendarDay(year: 2026, month: 12, day: 31)]
        #expect(try await roundTrip(days, as: "date[]") == days)
        let instants = [Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: 1_800_000_000.25)]
        #expect(try await roundTrip(instants, as: "timestamptz[]") == instants)
    }

    @Test func serverErrorsCarryDiagnostics() async throws {
        let pool = try await database()
        try await pool.query("CREATE TABLE IF NOT EXISTS unique_things (name text CONSTRAINT unique_things_name UNIQUE)")
        let name = UUID().uuidString
        try await pool.query("INSERT INTO unique_things (name) VALUES ($1)", name)
        let error = await #expect(throws: PostgresError.self) {
            try await pool.query("INSERT INTO unique_things (name) VALUES ($1)", name)
        }
        #expect(error?.sqlState == SQLState.uniqueViolation)
        #expect(error?.isUniqueViolation == true)
        #expect(error?.constraint == "unique_things_name")
        #expect(error?.detail?.contains(name) == true)
    }

    @Test func parametersAreNeverInterpolated() async throws {
        let pool = try await database()
        let hostile = "'; DROP TABLE schema_migrations; --"
        let echoed = try await pool.query("SELECT $1::text AS v", hostile)[0].decode("v", as: String.self)
        #expect(echoed == hostile)
        #expect(try await pool.query("SELECT count(*) AS n FROM schema_migrations")[0].decode("n", as: Int.self) > 0)
    }
}
