-- E-petitions: written by verified residents, moderated, signed, answered through the workflow.
CREATE TABLE petitions (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    author_id bigint NOT NULL REFERENCES people,
    title text NOT NULL CHECK (length(title) BETWEEN 10 AND 200),
    body text NOT NULL CHECK (length(body) BETWEEN 50 AND 10000),
    category text NOT NULL DEFAULT '',
    status text NOT NULL DEFAULT 'moderation'
        CHECK (status IN ('moderation', 'collecting', 'rejected', 'consideration', 'answered', 'not_enough')),
    created_at timestamptz NOT NULL DEFAULT now(),
    moderation_due_on date NOT NULL,
    moderated_by bigint REFERENCES people,
    moderated_at timestamptz,
    rejection_reason text,
    rejection_text text,
    -- The threshold and period in force when collection started.
    signature_threshold integer NOT NULL CHECK (signature_threshold > 0),
    collection_starts_on date,
    collection_ends_on date,
    threshold_reached_at timestamptz,
    search tsvector GENERATED ALWAYS AS (to_tsvector('simple', title || ' ' || body)) STORED,
    CHECK ((status = 'rejected') = (rejection_reason IS NOT NULL)),
    CHECK ((collection_starts_on IS NULL) = (collection_ends_on IS NULL))
);
CREATE INDEX petitions_listing ON petitions (community_id, status, created_at DESC);
CREATE INDEX petitions_search ON petitions USING gin (search);
CREATE INDEX petitions_title_trgm ON petitions USING gin (title gin_trgm_ops);

-- One row per signature, never deleted: an invalidated signature is marked, with its reason.
CREATE TABLE petition_signatures (
    id bigserial PRIMARY KEY,
    petition_id bigint NOT NULL REFERENCES petitions,
    person_id bigint NOT NULL REFERENCES people,
    signed_at timestamptz NOT NULL DEFAULT now(),
    ip inet,
    email_domain text NOT NULL,
    invalidated_at timestamptz,
    invalidation_reason text,
    -- One person, one signature per petition: the database guarantees it.
    UNIQUE (petition_id, person_id)
);
CREATE INDEX petition_signatures_list ON petition_signatures (petition_id, signed_at, id);

-- The count of valid signatures, spread over 16 rows per petition so that concurrent signings
-- do not queue on one row lock; the count is their sum.
CREATE TABLE petition_signature_counts (
    petition_id bigint NOT NULL REFERENCES petitions,
    shard smallint NOT NULL CHECK (shard BETWEEN 0 AND 15),
    signatures integer NOT NULL DEFAULT 0,
    PRIMARY KEY (petition_id, shard)
);

-- Status changes with who, when and why.
CREATE TABLE petition_events (
    id bigserial PRIMARY KEY,
    petition_id bigint NOT NULL REFERENCES petitions,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES people,
    from_status text,
    to_status text NOT NULL,
    comment text NOT NULL DEFAULT ''
);
CREATE INDEX petition_events_petition ON petition_events (petition_id, id);
CREATE TRIGGER petition_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON petition_events
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
