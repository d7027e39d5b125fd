import NIOConcurrencyHelpers

/// Gathers requests that arrive together and answers them with one database round trip.
///
/// On voting day hundreds of people sign, or present their session, at the same moment; one
/// statement and one commit for a group costs the database far less than one for each. A request
/// waits only while earlier groups are on their way, so a lone request is not delayed.
final class RequestCoalescer<Request: Hashable & Sendable, Answer: Sendable>: Sendable {
    /// Answers a group of distinct requests; a request missing from the result gets `missing`.
    typealias Run = @Sendable ([Request]) async throws -> [Request: Answer]

    private struct Waiting {
        var request: Request
        var continuation: CheckedContinuation<Answer, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var groupsInFlight = 0
    }

    private let run: Run
    private let missing: @Sendable (Request) -> any Error
    private let repeated: @Sendable (Answer) -> Answer
    private let concurrentGroups: Int
    private let largestGroup: Int
    private let state = NIOLockedValueBox(State())

    /// - Parameters:
    ///   - concurrentGroups: groups on their way at once, enough to keep several connections busy.
    ///   - repeated: the answer for a request that came twice in one group, from the first one's.
    init(concurrentGroups: Int = 4, largestGroup: Int = 256, missing: @escaping @Sendable (Request) -> any Error,
         repeated: @escaping @Sendable (Answer) -> Answer = { $0 }, run: @escaping Run) {
        self.run = run
        self.missing = missing
        self.repeated = repeated
        self.concurrentGroups = concurrentGroups
        self.largestGroup = largestGroup
    }

    /// The answer to `request`, as part of the next group.
    func answer(_ request: Request) async throws -> Answer {
        try await withCheckedThrowingContinuation { continuation in
            let startGroup = state.withLockedValue { state -> Bool in
                state.waiting.append(Waiting(request: request, continuation: continuation))
                guard state.groupsInFlight < concurrentGroups else { return false }
                state.groupsInFlight += 1
                return true
            }
            if startGroup { Task { await self.sendGroups() } }
        }
    }

    /// Sends what is waiting, group after group, until nothing is.
    private func sendGroups() async {
        while true {
            let group = state.withLockedValue { state -> [Waiting] in
                let group = Array(state.waiting.prefix(largestGroup))
                state.waiting.removeFirst(group.count)
                if group.isEmpty { state.groupsInFlight -= 1 }
                return group
            }
            if group.isEmpty { return }
            await send(group)
        }
    }

    private func send(_ group: [Waiting]) async {
        var distinct: [Request] = []
        var seen = Set<Request>()
        for waiting in group where seen.insert(waiting.request).inserted { distinct.append(waiting.request) }
        do {
            let answers = try await run(distinct)
            var answered = Set<Request>()
            for waiting in group {
                guard let answer = answers[waiting.request] else {
                    waiting.continuation.resume(throwing: missing(waiting.request))
                    continue
                }
                let first = answered.insert(waiting.request).inserted
                waiting.continuation.resume(returning: first ? answer : repeated(answer))
            }
        } catch {
            for waiting in group { waiting.continuation.resume(throwing: error) }
        }
    }
}
