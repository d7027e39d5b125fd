import Foundation
import Logging
import Postgres

/// E-petitions in PostgreSQL.
///
/// Signing is the hot path of voting day: a signature is one INSERT into an append-only table
/// plus an increment of one of 16 counter shards chosen at random, so concurrent signers of one
/// petition do not queue on a single row (the UK petitions site fell over that way in 2019).
/// The count is the sum of the shards, exact as soon as a signature commits.
public struct PetitionStore: Sendable {
    let database: PostgresPool
    /// Public lists, signers and open data read from here (see ``AppServices/replica``).
    let replica: PostgresPool
    let workflow: WorkflowStore
    let outbox: Outbox
    /// Addresses whose signings are not counted for the per-IP limit (a service centre's NAT, a benchmark).
    let rateLimitExemptIPs: Set<String>
    /// New petitions count against the community's limits (signing has its own check, in its statement).
    let limits: LimitStore
    let logger: Logger
    /// Signing requests that arrive together share one statement and one commit. The same person
    /// signing the same petition twice at once: one goes to the database, the other is told
    /// "already signed".
    let signings: RequestCoalescer<SigningRequest, SigningOutcome>
    /// Every open petition page polls its count; one query a second per petition answers them all.
    let counts = ExpiringCache<Int, PetitionCount?>(lifetime: .seconds(1))

    init(database: PostgresPool, replica: PostgresPool, workflow: WorkflowStore, outbox: Outbox, rateLimitExemptIPs: Set<String>,
         limits: LimitStore, logger: Logger) {
        self.database = database
        self.replica = replica
        self.workflow = workflow
        self.outbox = outbox
        self.rateLimitExemptIPs = rateLimitExemptIPs
        self.limits = limits
        self.logger = logger
        // Groups touch several rows at once; in the rare deadlock between two, the transaction
        // helper runs the group again. Two groups in flight make bigger groups than four, as for
        // votes: 6,877–7,130 signatures/s spread over 100 petitions against 5,630 with four
        // (make bench-sign, runs minutes apart on the same machine).
        self.signings = RequestCoalescer(concurrentGroups: 2, missing: { _ in AppError.notFound }, repeated: \.repeated) { requests in
            // The locks and the signing statement go in one round trip, as one transaction.
            let results = try await database.transaction([
                Self.signersLock(requests, rateLimitExemptIPs: rateLimitExemptIPs),
                Self.signingStatement(requests, rateLimitExemptIPs: rateLimitExemptIPs),
            ])
            return try Self.signingOutcomes(results[1], of: requests)
        }
    }

    public static let signersPerPage = 50
    /// Far more signatures than can be in flight at once.
    static let thresholdRecheckMargin = 1_000

    static let select = """
        SELECT p.id, p.community_id, p.author_id, a.full_name AS author_name, p.title, p.body, p.category, p.status,
               p.created_at, p.moderation_due_on, p.rejection_reason, p.rejection_text, p.signature_threshold,
               p.collection_starts_on, p.collection_ends_on,
               coalesce((SELECT sum(c.signatures) FROM petition_signature_counts c WHERE c.petition_id = p.id), 0)::int AS signatures
        FROM petitions p JOIN people a ON a.id = p.author_id
        """

    static func petition(_ row: PostgresRow) throws -> Petition {
        let reason: String? = try row.decode("rejection_reason")
        return Petition(
            id: try row.decode("id"), communityID: try row.decode("community_id"), authorID: try row.decode("author_id"),
            authorName: try row.decode("author_name"), title: try row.decode("title"), body: try row.decode("body"),
            category: try row.decode("category"), status: PetitionStatus(rawValue: try row.decode("status")) ?? .moderation,
            createdAt: try row.decode("created_at"), moderationDueOn: try row.decode("moderation_due_on"),
            rejection: try reason.flatMap(RejectionReason.init(rawValue:)).map { ($0, try row.decode("rejection_text") ?? "") },
            signatureThreshold: try row.decode("signature_threshold"),
            collectionStartsOn: try row.decode("collection_starts_on"), collectionEndsOn: try row.decode("collection_ends_on"),
            signatures: try row.decode("signatures"))
    }

    public func find(_ id: Int, communityID: Int, on session: PostgresSession? = nil) async throws -> Petition {
        let sql = Self.select + " WHERE p.id = $1 AND p.community_id = $2"
        let rows = if let session { try await session.query(sql, id, communityID) } else { try await database.query(sql, id, communityID) }
        guard let row = rows.first else { throw AppError.notFound }
        return try Self.petition(row)
    }

    /// Petition `id`'s count, at most a second old.
    public func count(_ id: Int, communityID: Int) async throws -> PetitionCount {
        let count = try await counts.value(for: id) { [database] in
            try await database.query(
                """
                SELECT p.community_id, p.author_id, p.status, p.signature_threshold,
                       coalesce((SELECT sum(c.signatures) FROM petition_signature_counts c WHERE c.petition_id = p.id), 0)::int AS signatures
                FROM petitions p WHERE p.id = $1
                """, id
            ).first.map { row in
                PetitionCount(
                    communityID: try row.decode("community_id"), authorID: try row.decode("author_id"),
                    status: PetitionStatus(rawValue: try row.decode("status")) ?? .moderation,
                    signatures: try row.decode("signatures"), signatureThreshold: try row.decode("signature_threshold"))
            }
        }
        guard let count, count.communityID == communityID else { throw AppError.notFound }
        return count
    }

    // MARK: - Writing and moderation

    /// Open petitions whose titles resemble `title` (trigram similarity), so signatures are not split.
    public func similar(to title: String, communityID: Int) async throws -> [Petition] {
        try await database.query(
            Self.select + """
             WHERE p.community_id = $1 AND p.status IN ('moderation', 'collecting', 'consideration') AND p.title % $2
             ORDER BY similarity(p.title, $2) DESC LIMIT 5
            """, communityID, title
        ).map(Self.petition)
    }

    /// Sends a new petition to moderation. Only verified members of the community may write one.
    public func submit(title: String, body: String, category: String, by author: Viewer, in community: Community,
                       verifications: VerificationStore, ip: String?) async throws -> Petition {
        let title = title.trimmingCharacters(in: .whitespacesAndNewlines)
        let body = body.trimmingCharacters(in: .whitespacesAndNewlines)
        // Who may write comes before what was written.
        guard try await verifications.identity(of: author.person.id, in: community.id) != nil else {
            throw AppError(.forbidden, detailKey: "petition.refusal.not_verified")
        }
        let errors = PetitionLifecycle.errors(title: title, body: body, category: category)
        guard errors.isEmpty else { throw AppError(.validation, fieldErrors: errors) }
        let settings = community.settings.petitions
        return try await database.transaction { session in
            try await limits.charge(.petition, to: .person(author, address: ip), communityID: community.id, on: session)
            let today = try await WorkflowStore.today(on: session)
            let dueOn = try await workflow.calendar(of: community.id, on: session)
                .dueDate(registeredOn: today, rule: .workingDays(settings.moderationWorkingDays))
            let id = try await session.query(
                """
                INSERT INTO petitions (community_id, author_id, title, body, category, moderation_due_on, signature_threshold)
                VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """, community.id, author.person.id, title, body, category, dueOn, settings.signatureThreshold
            )[0].decode("id", as: Int.self)
            try await recordEvent(id, actorID: author.person.id, from: nil, to: .moderation, comment: "", on: session)
            try await AuditLog.record(AuditEntry(actorID: author.person.id, communityID: community.id, action: "petition.submit",
                                                 objectType: "petition", objectID: String(id), summary: title, ip: ip), on: session)
            return try await find(id, communityID: community.id, on: session)
        }
    }

    /// Petitions awaiting moderation, oldest first.
    public func moderationQueue(communityID: Int) async throws -> [Petition] {
        try await database.query(Self.select + " WHERE p.community_id = $1 AND p.status = 'moderation' ORDER BY p.created_at", communityID)
            .map(Self.petition)
    }

    /// Publishes (the collection period starts today) or rejects with a reason. A moderator never
    /// moderates their own petition.
    public func moderate(_ id: Int, publish: Bool, reason: RejectionReason?, text: String, by moderator: Viewer,
                         in community: Community, ip: String?) async throws {
        try await database.transaction { session in
            let rows = try await session.query("SELECT author_id, status, title FROM petitions WHERE id = $1 AND community_id = $2 FOR NO KEY UPDATE", id, community.id)
            guard let row = rows.first else { throw AppError.notFound }
            let authorID: Int = try row.decode("author_id")
            let title: String = try row.decode("title")
            let status = PetitionStatus(rawValue: try row.decode("status")) ?? .moderation
            guard authorID != moderator.person.id else { throw AppError(.forbidden, detailKey: "petition.error.own_petition") }
            guard let next = PetitionLifecycle.status(after: publish ? .publish : .reject, from: status) else {
                throw AppError(.conflict, detailKey: "petition.error.not_now")
            }
            if publish {
                let today = try await WorkflowStore.today(on: session)
                try await session.query(
                    """
                    UPDATE petitions SET status = $2, moderated_by = $3, moderated_at = now(), collection_starts_on = $4,
                                         collection_ends_on = $5
                    WHERE id = $1
                    """, id, next.rawValue, moderator.person.id, today, today.adding(days: community.settings.petitions.collectionDays - 1))
                // The author signs their own petition as soon as it is published (same rules as anyone).
                _ = try await Self.signIfAllowed(
                    [SigningRequest(petitionID: id, personID: authorID, communityID: community.id, ip: nil)],
                    rateLimitExemptIPs: rateLimitExemptIPs, on: session)
            } else {
                guard let reason else { throw AppError(.validation, fieldErrors: ["reason": "petition.error.reason"]) }
                try await session.query(
                    """
                    UPDATE petitions SET status = $2, moderated_by = $3, moderated_at = now(), rejection_reason = $4, rejection_text = $5
                    WHERE id = $1
                    """, id, next.rawValue, moderator.person.id, reason.rawValue, text)
            }
            try await recordEvent(id, actorID: moderator.person.id, from: status, to: next, comment: publish ? "" : text, on: session)
            try await AuditLog.record(AuditEntry(actorID: moderator.person.id, communityID: community.id,
                                                 action: publish ? "petition.publish" : "petition.reject", objectType: "petition",
                                                 objectID: String(id), summary: reason?.rawValue ?? "", ip: ip), on: session)
            if let author = try await Outbox.recipient(personID: authorID, on: session) {
                try await outbox.send(publish ? "petition_published" : "petition_rejected", to: author,
                                      values: ["title": title, "reason": text, "url": "/\(community.slug)/petitions/\(id)"],
                                      communityID: community.id, on: session)
            }
        }
        // Published, its count is public at once here (other processes' copies expire within a second).
        counts.remove(id)
    }

    // MARK: - Signing

    /// Signs for the viewer and returns the new count, in one statement: it reads every fact the
    /// rules need, inserts the signature only if they allow it, and counts it. The rules guard the
    /// data in the database; `SigningRefusal.check` names the reason when nothing was inserted.
    /// The unique key on (petition, person) makes a second signature impossible, from any number
    /// of concurrent requests.
    public func sign(_ id: Int, by viewer: Viewer, in community: Community, ip: String?) async throws -> Int {
        let outcome = try await signings.answer(
            SigningRequest(petitionID: id, personID: viewer.person.id, communityID: community.id, ip: ip))
        let (signaturesBefore, threshold): (Int, Int)
        switch outcome {
        case .refused(let refusal): throw refusal
        case .signed(let before, let limit): (signaturesBefore, threshold) = (before, limit)
        }
        return await acknowledge(
            petitionID: id, signaturesBefore: signaturesBefore, threshold: threshold, recount: { try await signatureCount(id) },
            reachThreshold: { try await reachThreshold(id, community: community) })
    }

    /// The count a committed signature is answered with. The count was read before this
    /// signature; near the threshold it is read again after the commit, so the last of any
    /// concurrent signers sees them all, and a signing that sees the threshold reached moves the
    /// petition on. The signature is committed, so neither step may turn the answer into a
    /// failure: if either fails (the connection dropped after the commit), the answer is the count
    /// known so far and the petition sweep job catches up.
    func acknowledge(
        petitionID id: Int, signaturesBefore: Int, threshold: Int, recount: () async throws -> Int, reachThreshold: () async throws -> Void
    ) async -> Int {
        var count = signaturesBefore + 1
        guard count >= threshold - Self.thresholdRecheckMargin else { return count }
        do {
            count = max(count, try await recount())
        } catch {
            logger.warning("petition \(id): the count after a committed signature could not be read: \(error)")
            return count
        }
        if count >= threshold {
            do {
                try await reachThreshold()
            } catch {
                logger.error("petition \(id) reached its threshold but could not be registered yet: \(error)")
            }
        }
        return count
    }

    /// The statement that takes, until the transaction ends, a lock per signer and per limited IP
    /// address of the group, in a fixed order. Groups signing for the same person or address then
    /// run one after the other, so each reads the other's signatures and the hourly limits hold
    /// exactly; groups of different people do not wait for each other. Advisory locks write
    /// nothing to the tables.
    static func signersLock(_ requests: [SigningRequest], rateLimitExemptIPs: Set<String>) -> PostgresStatement {
        let addresses = Set(requests.compactMap { $0.ip }.filter { !rateLimitExemptIPs.contains($0) })
        return PostgresStatement(
            """
            SELECT pg_advisory_xact_lock(kind, key) FROM (
                SELECT kind, key FROM (
                    SELECT 1 AS kind, person::int AS key FROM unnest($1::bigint[]) AS person
                    UNION SELECT 2, hashtext(address) FROM unnest($2::text[]) AS address
                ) keys ORDER BY kind, key
            ) ordered
            """, Set(requests.map(\.personID)).sorted(), addresses.sorted())
    }

    /// One signing request, as the signing statement takes it. Two requests are the same when the
    /// same person signs the same petition, from whatever address.
    struct SigningRequest: Sendable, Hashable {
        var petitionID: Int
        var personID: Int
        var communityID: Int
        var ip: String?

        static func == (lhs: Self, rhs: Self) -> Bool {
            lhs.petitionID == rhs.petitionID && lhs.personID == rhs.personID && lhs.communityID == rhs.communityID
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(petitionID)
            hasher.combine(personID)
            hasher.combine(communityID)
        }
    }

    /// Signs for distinct requests at once (see ``signingStatement(_:rateLimitExemptIPs:)``).
    static func signIfAllowed(_ requests: [SigningRequest], rateLimitExemptIPs: Set<String>, on session: PostgresSession) async throws
        -> [SigningRequest: SigningOutcome]
    {
        let statement = signingStatement(requests, rateLimitExemptIPs: rateLimitExemptIPs)
        return try signingOutcomes(try await session.query(statement.sql, parameters: statement.parameters), of: requests)
    }

    /// The signing statement, for many requests at once: reads the facts the rules need, inserts
    /// each signature only if they allow it, and counts the inserted ones on a random shard.
    /// Requests must be distinct. Rows are written in (petition, person) order, so concurrent
    /// groups take their locks in the same order.
    static func signingStatement(_ requests: [SigningRequest], rateLimitExemptIPs: Set<String>) -> PostgresStatement {
        PostgresStatement(
            """
            WITH requests AS (
                SELECT r.n, r.petition_id, r.person_id, r.ip::inet AS ip, r.limited_ip::inet AS limited_ip, r.community_id
                FROM unnest($1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::bigint[]) WITH ORDINALITY
                     AS r(petition_id, person_id, ip, limited_ip, community_id, n)
            ), facts AS (
                SELECT r.n, r.petition_id, r.person_id, r.ip, p.status, p.collection_starts_on, p.collection_ends_on,
                       p.signature_threshold, (now() AT TIME ZONE '\(WorkflowStore.timeZone)')::date AS today,
                       EXISTS (SELECT 1 FROM verifications v
                               WHERE v.person_id = r.person_id AND v.community_id = p.community_id AND v.revoked_at IS NULL) AS verified,
                       -- Earlier requests of the same group count toward the limits too.
                       (SELECT count(*) FROM (SELECT 1 FROM petition_signatures s
                                              WHERE s.person_id = r.person_id AND s.signed_at > now() - interval '1 hour' LIMIT $6) mine)::int
                         + (count(*) OVER (PARTITION BY r.person_id ORDER BY r.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))::int AS by_person,
                       CASE WHEN r.limited_ip IS NULL THEN 0 ELSE
                       (SELECT count(*) FROM (SELECT 1 FROM petition_signatures s
                                              WHERE s.ip = r.limited_ip AND s.signed_at > now() - interval '1 hour' LIMIT $7) theirs)::int
                         + (count(*) OVER (PARTITION BY r.limited_ip ORDER BY r.n ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING))::int END AS by_ip,
                       coalesce(t.signatures, 0)::int AS signatures
                -- A petition still in moderation is not public: for signers it is not there (404).
                FROM requests r JOIN petitions p ON p.id = r.petition_id AND p.community_id = r.community_id AND p.status <> 'moderation'
                -- Each petition's shards are summed once, however many of the group sign it.
                LEFT JOIN (SELECT c.petition_id, sum(c.signatures) AS signatures FROM petition_signature_counts c
                           WHERE c.petition_id IN (SELECT petition_id FROM requests) GROUP BY c.petition_id) t ON t.petition_id = p.id
            ), signed AS (
                INSERT INTO petition_signatures (petition_id, person_id, ip, email_domain)
                SELECT f.petition_id, f.person_id, f.ip, (SELECT lower(split_part(email::text, '@', 2)) FROM people WHERE id = f.person_id)
                FROM facts f
                WHERE f.status = 'collecting' AND f.today BETWEEN f.collection_starts_on AND f.collection_ends_on
                  AND f.verified AND f.by_person < $6 AND f.by_ip < $7
                ORDER BY f.petition_id, f.person_id
                ON CONFLICT (petition_id, person_id) DO NOTHING RETURNING petition_id, person_id
            ), counted AS (
                INSERT INTO petition_signature_counts (petition_id, shard, signatures)
                SELECT petition_id, $8, count(*) FROM signed GROUP BY petition_id ORDER BY petition_id
                ON CONFLICT (petition_id, shard) DO UPDATE SET signatures = petition_signature_counts.signatures + EXCLUDED.signatures
                RETURNING 1
            )
            SELECT f.n, f.status, f.collection_starts_on, f.collection_ends_on, f.today, f.verified, f.by_person, f.by_ip,
                   f.signatures, f.signature_threshold,
                   EXISTS (SELECT 1 FROM signed s WHERE s.petition_id = f.petition_id AND s.person_id = f.person_id) AS inserted
            FROM facts f
            """,
            requests.map(\.petitionID), requests.map(\.personID), requests.map(\.ip),
            requests.map { request in request.ip.flatMap { rateLimitExemptIPs.contains($0) ? nil : $0 } },
            requests.map(\.communityID), SigningRefusal.perPersonPerHour, SigningRefusal.perIPPerHour, Int.random(in: 0..<16))
    }

    /// What the signing statement answered, per request. A request for an unknown petition has
    /// no entry. The facts behind a refusal are read only for refused requests.
    static func signingOutcomes(_ rows: PostgresResult, of requests: [SigningRequest]) throws -> [SigningRequest: SigningOutcome] {
        var outcomes: [SigningRequest: SigningOutcome] = [:]
        for row in rows {
            let request = requests[try row.decode("n", as: Int.self) - 1]
            if try row.decode("inserted") {
                outcomes[request] = .signed(signaturesBefore: try row.decode("signatures"), threshold: try row.decode("signature_threshold"))
                continue
            }
            let facts = SigningFacts(
                status: PetitionStatus(rawValue: try row.decode("status")) ?? .moderation,
                collectionStartsOn: try row.decode("collection_starts_on"), collectionEndsOn: try row.decode("collection_ends_on"),
                today: try row.decode("today"), isVerifiedHere: try row.decode("verified"), recentByPerson: try row.decode("by_person"),
                recentByIP: try row.decode("by_ip"), signatures: try row.decode("signatures"), threshold: try row.decode("signature_threshold"))
            outcomes[request] = .refused(SigningRefusal.check(facts) ?? .alreadySigned)
        }
        return outcomes
    }

    public func signatureCount(_ id: Int) async throws -> Int {
        try await Self.signatureCount(id, in: database)
    }

    static func signatureCount(_ id: Int, in pool: PostgresPool) async throws -> Int {
        try await pool.query(
            "SELECT coalesce(sum(signatures), 0)::int AS n FROM petition_signature_counts WHERE petition_id = $1", id
        )[0].decode("n")
    }

    /// Moves a collecting petition past its threshold to consideration and registers its workflow
    /// document. Run by every signing that sees the threshold reached; the conditional UPDATE lets
    /// exactly one of them through.
    func reachThreshold(_ id: Int, community: Community) async throws {
        try await database.transaction { session in
            try await endCollection(id, reached: true, communityID: community.id, communitySlug: community.slug, on: session)
        }
    }

    /// Ends a collecting petition: past its threshold to consideration with a petition document
    /// (10 working days), short of it to "not enough signatures" forwarded as an ordinary appeal.
    /// Does nothing if the petition is no longer collecting, so concurrent callers register once.
    func endCollection(_ id: Int, reached: Bool, communityID: Int, communitySlug: String, on session: PostgresSession) async throws {
        let next: PetitionStatus = reached ? .consideration : .notEnough
        let moved = try await session.query(
            """
            UPDATE petitions SET status = $2, threshold_reached_at = CASE WHEN $3 THEN now() END
            WHERE id = $1 AND status = 'collecting' RETURNING title, author_id, category
            """, id, next.rawValue, reached)
        guard let row = moved.first else { return }
        try await recordEvent(id, actorID: nil, from: .collecting, to: next, comment: "", on: session)
        _ = try await workflow.register(
            RegistrationRequest(kind: reached ? .petition : .appeal, sourceType: PetitionSource.type, sourceID: String(id),
                                title: try row.decode("title"), category: try row.decode("category"), authorID: try row.decode("author_id")),
            communityID: communityID, communitySlug: communitySlug, on: session)
    }

    // MARK: - History

    func recordEvent(_ id: Int, actorID: Int?, from: PetitionStatus?, to: PetitionStatus, comment: String, on session: PostgresSession) async throws {
        try await session.query(
            "INSERT INTO petition_events (petition_id, actor_id, from_status, to_status, comment) VALUES ($1, $2, $3, $4, $5)",
            id, actorID, from?.rawValue, to.rawValue, comment)
    }
}
