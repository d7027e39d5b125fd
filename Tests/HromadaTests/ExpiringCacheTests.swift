import NIOConcurrencyHelpers
import Testing

@testable import Hromada

@Suite struct ExpiringCacheTests {
    struct Refused: Error {}

    @Test func requestsThatMissTogetherShareOneLoad() async throws {
        let cache = ExpiringCache<Int, Int>(lifetime: .seconds(60))
        let loads = NIOLockedValueBox(0)
        let answers = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await cache.value(for: 7) {
                        loads.withLockedValue { $0 += 1 }
                        try await Task.sleep(for: .milliseconds(50))
                        return 42
                    }
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(answers == Array(repeating: 42, count: 50))
        #expect(loads.withLockedValue { $0 } == 1)
    }

    @Test func aValueIsLoadedAgainOnceItExpires() async throws {
        let cache = ExpiringCache<String, Int>(lifetime: .milliseconds(100))
        let loads = NIOLockedValueBox(0)
        let load: @Sendable () async throws -> Int = { loads.withLockedValue { $0 += 1; return $0 } }
        #expect(try await cache.value(for: "a", load: load) == 1)
        #expect(try await cache.value(for: "a", load: load) == 1, "fresh: kept")
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await cache.value(for: "a", load: load) == 2, "expired: loaded again")
        cache.remove("a")
        #expect(try await cache.value(for: "a", load: load) == 3, "removed: loaded again")
    }

    @Test func aFailedLoadIsNotKept() async throws {
        let cache = ExpiringCache<Int, Int>(lifetime: .seconds(60))
        await #expect(throws: Refused.self) { try await cache.value(for: 1) { throw Refused() } }
        #expect(try await cache.value(for: 1) { 5 } == 5)
    }

    @Test func endlessDistinctKeysDoNotGrowPastTheCapacity() async throws {
        let cache = ExpiringCache<Int, Int>(lifetime: .seconds(60), capacity: 10)
        let loads = NIOLockedValueBox(0)
        for key in 0..<25 {
            _ = try await cache.value(for: key) { loads.withLockedValue { $0 += 1 }; return key }
        }
        // The 21st key emptied the full cache: 20…24 are kept, 0 is loaded again.
        _ = try await cache.value(for: 24) { loads.withLockedValue { $0 += 1 }; return 24 }
        #expect(loads.withLockedValue { $0 } == 25)
        _ = try await cache.value(for: 0) { loads.withLockedValue { $0 += 1 }; return 0 }
        #expect(loads.withLockedValue { $0 } == 26)
    }
}
