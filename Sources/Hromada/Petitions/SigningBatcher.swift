import NIOConcurrencyHelpers

/// Gathers the signing requests that arrive together and sends them to PostgreSQL as one
/// statement: on voting day hundreds of people sign at the same moment, and one round trip and
/// one commit for a group costs the database far less than one for each. A request waits only
/// while an earlier group is on its way, so a lone signer is not delayed.
final class SigningBatcher: Sendable {
    typealias Result = (facts: SigningFacts, inserted: Bool)
    typealias Run = @Sendable ([PetitionStore.SigningRequest]) async throws -> [PetitionStore.SigningRequest: Result]

    private struct Waiting {
        var request: PetitionStore.SigningRequest
        var continuation: CheckedContinuation<Result, any Error>
    }

    private struct State {
        var waiting: [Waiting] = []
        var groupsInFlight = 0
    }

    /// Groups on their way at once: enough to keep several connections busy.
    static let concurrentGroups = 4
    static let largestGroup = 256

    private let run: Run
    private let state = NIOLockedValueBox(State())

    init(run: @escaping Run) {
        self.run = run
    }

    /// Signs as part of the next group; throws `notFound` for an unknown petition.
    func sign(_ request: PetitionStore.SigningRequest) async throws -> Result {
        try await withCheckedThrowingContinuation { continuation in
            let startGroup = state.withLockedValue { state -> Bool in
                state.waiting.append(Waiting(request: request, continuation: continuation))
                guard state.groupsInFlight < Self.concurrentGroups else { return false }
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
                let group = Array(state.waiting.prefix(Self.largestGroup))
                state.waiting.removeFirst(group.count)
                if group.isEmpty { state.groupsInFlight -= 1 }
                return group
            }
            if group.isEmpty { return }
            await send(group)
        }
    }

    private func send(_ group: [Waiting]) async {
        // The same person signing the same petition twice at once: one goes to the database,
        // the others share its answer as "already signed".
        var distinct: [PetitionStore.SigningRequest] = []
        var seen = Set<PetitionStore.SigningRequest>()
        for waiting in group where seen.insert(waiting.request).inserted { distinct.append(waiting.request) }
        do {
            let results = try await run(distinct)
            var answered = Set<PetitionStore.SigningRequest>()
            for waiting in group {
                guard let result = results[waiting.request] else {
                    waiting.continuation.resume(throwing: AppError.notFound)
                    continue
                }
                let first = answered.insert(waiting.request).inserted
                waiting.continuation.resume(returning: first ? result : (result.facts, false))
            }
        } catch {
            for waiting in group { waiting.continuation.resume(throwing: error) }
        }
    }
}
