import NIOConcurrencyHelpers

/// Values kept for a short time, each loaded once however many requests ask for it at the same moment.
///
/// What a crowd reads on voting day (a community, a petition's count) changes slowly compared with
/// how often it is asked for: a few seconds' copy answers thousands of requests with one query,
/// and requests that miss together share that one query instead of each sending their own.
final class ExpiringCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private enum Entry {
        case ready(Value, expires: ContinuousClock.Instant)
        case loading(Task<Value, any Error>)
    }

    private enum Lookup {
        case hit(Value)
        case wait(Task<Value, any Error>)
    }

    private let lifetime: Duration
    private let capacity: Int
    private let entries = NIOLockedValueBox([Key: Entry]())

    /// - Parameters:
    ///   - lifetime: how long a loaded value is served before it is loaded again.
    ///   - capacity: entries kept at most; when full, expired ones go first, then all of them, so
    ///     a caller who asks for endless distinct keys cannot grow the memory.
    init(lifetime: Duration, capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The value for `key`: the kept one while it is fresh, else the one `load` returns. A failed
    /// load is not kept; the next request tries again.
    func value(for key: Key, load: @escaping @Sendable () async throws -> Value) async throws -> Value {
        let now = ContinuousClock.now
        let lookup = entries.withLockedValue { entries -> Lookup in
            switch entries[key] {
            case .ready(let value, let expires) where expires > now: return .hit(value)
            case .loading(let task): return .wait(task)
            default: break
            }
            if entries.count >= capacity {
                entries = entries.filter { if case .ready(_, let expires) = $0.value { expires > now } else { true } }
                if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            }
            let task = Task { try await load() }
            entries[key] = .loading(task)
            return .wait(task)
        }
        switch lookup {
        case .hit(let value):
            return value
        case .wait(let task):
            do {
                let value = try await task.value
                entries.withLockedValue { entries in
                    if case .loading = entries[key] { entries[key] = .ready(value, expires: .now + lifetime) }
                }
                return value
            } catch {
                entries.withLockedValue { entries in
                    if case .loading = entries[key] { entries[key] = nil }
                }
                throw error
            }
        }
    }

    /// Forgets `key`, so the next request loads it again.
    func remove(_ key: Key) {
        _ = entries.withLockedValue { $0.removeValue(forKey: key) }
    }
}
