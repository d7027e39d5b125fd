import Foundation
import Postgres

/// Whether a vote is cast from the person's own account or recorded by service centre staff.
public enum VoteChannel: String, Sendable, CaseIterable, Codable {
    case online
    case inPerson = "in_person"

    public var titleKey: String { "budget.channel.\(rawValue)" }
}

/// Everything that decides whether one person may vote for one project now, read in the voting
/// statement itself.
public struct VotingFacts: Sendable {
    public var projectStatus: BudgetProjectStatus
    /// Whether today falls in the cycle's voting phase.
    public var isVotingOpen: Bool
    public var today: CalendarDay
    /// The voter's standing verification in the community: birth date and residence.
    public var birthDate: CalendarDay?
    public var isResident: Bool
    public var voterMinimumAge: Int
    /// Votes the person had already cast in the limit's scope, and the limit.
    public var votesCast: Int
    public var voteLimit: Int

    public init(projectStatus: BudgetProjectStatus, isVotingOpen: Bool, today: CalendarDay, birthDate: CalendarDay?, isResident: Bool,
                voterMinimumAge: Int, votesCast: Int, voteLimit: Int) {
        self.projectStatus = projectStatus
        self.isVotingOpen = isVotingOpen
        self.today = today
        self.birthDate = birthDate
        self.isResident = isResident
        self.voterMinimumAge = voterMinimumAge
        self.votesCast = votesCast
        self.voteLimit = voteLimit
    }
}

/// Why someone may not vote for a project.
public enum VotingRefusal: String, Error, Sendable {
    case notSignedIn = "not_signed_in"
    case notVoting = "not_voting"
    case notAdmitted = "not_admitted"
    case notVerified = "not_verified"
    case tooYoung = "too_young"
    case alreadyVoted = "already_voted"
    case noVotesLeft = "no_votes_left"
    case rateLimited = "rate_limited"

    public var messageKey: String { "budget.refusal.\(rawValue)" }

    /// The rules other than "one vote per project" and the vote limit, which the database enforces;
    /// `nil` when voting is allowed.
    public static func check(_ facts: VotingFacts) -> VotingRefusal? {
        guard facts.isVotingOpen else { return .notVoting }
        guard facts.projectStatus == .admitted else { return .notAdmitted }
        guard let birthDate = facts.birthDate, facts.isResident else { return .notVerified }
        guard birthDate.years(until: facts.today) >= facts.voterMinimumAge else { return .tooYoung }
        guard facts.votesCast < facts.voteLimit else { return .noVotesLeft }
        return nil
    }

    public var appError: AppError {
        switch self {
        case .notSignedIn: AppError(.unauthorized, detailKey: messageKey)
        case .alreadyVoted, .noVotesLeft, .notVoting, .notAdmitted: AppError(.conflict, detailKey: messageKey)
        case .rateLimited: AppError(.rateLimited, detailKey: messageKey)
        case .notVerified, .tooYoung: AppError(.forbidden, detailKey: messageKey)
        }
    }
}

/// Ballot receipts. A voter's receipt code is derived from the server's secret, the cycle and
/// the person, so it can be shown again at any time without being stored; the published ballots
/// carry only the SHA-256 of the code, which nobody can turn back into a person.
public struct BallotReceipts: Sendable {
    let key: [UInt8]

    public init(secretKey: [UInt8]) {
        self.key = Crypto.hmacSHA256(key: secretKey, message: Array("hromada budget receipts".utf8))
    }

    /// `K7QF-2M9X-WB4C-HJ3T`: 80 bits in Crockford's base 32, easy to read out and type.
    public func code(cycleID: Int, personID: Int) -> String {
        let mac = Crypto.hmacSHA256(key: key, message: Array("\(cycleID):\(personID)".utf8))
        let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ".utf8)
        var bits = 0, value = 0
        var code: [UInt8] = []
        code.reserveCapacity(19)
        for byte in mac.prefix(10) {
            value = (value << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                bits -= 5
                if code.count % 5 == 4 { code.append(UInt8(ascii: "-")) }
                code.append(alphabet[(value >> bits) & 31])
            }
        }
        return String(decoding: code, as: UTF8.self)
    }

    /// The hex SHA-256 of a code as published, whatever case and separators the voter typed.
    public static func hash(ofCode code: String) -> String {
        let normalized = code.uppercased().filter { $0.isLetter || $0.isNumber }
            .replacingOccurrences(of: "O", with: "0").replacingOccurrences(of: "I", with: "1").replacingOccurrences(of: "L", with: "1")
        return Crypto.hex(Crypto.sha256(Array(normalized.utf8)))
    }

    /// The digest of a published ballot set: SHA-256 over one line per ballot,
    /// `<receipt hash>:<project id>,<project id>…\n`, ballots sorted by receipt hash and projects
    /// by id. Anyone can recompute it from the published ballots.
    public static func digest(of ballots: [PublishedBallot]) -> String {
        var text = ""
        for ballot in ballots.sorted(by: { $0.receiptHash < $1.receiptHash }) {
            text += ballot.receiptHash + ":" + ballot.projectIDs.sorted().map(String.init).joined(separator: ",") + "\n"
        }
        return Crypto.hex(Crypto.sha256(Array(text.utf8)))
    }
}

/// One voter's choices as published after the results.
public struct PublishedBallot: Sendable, Equatable, Codable {
    public var receiptHash: String
    public var projectIDs: [Int]

    public init(receiptHash: String, projectIDs: [Int]) {
        self.receiptHash = receiptHash
        self.projectIDs = projectIDs
    }
}
