-- The document workflow: every item that needs an official answer is registered here.

-- Where items go: (module, category) → department; category '' is the module's default,
-- module '*' the community's default.
CREATE TABLE routing_rules (
    community_id bigint NOT NULL REFERENCES communities,
    module text NOT NULL CHECK (module ~ '^([a-z_]+|\*)$'),
    category text NOT NULL DEFAULT '',
    department_id bigint NOT NULL,
    PRIMARY KEY (community_id, module, category),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id)
);

-- One counter per journal and year. Taking a number locks the row until the registering
-- transaction ends, so numbers are gap-free and unique: a rolled-back registration gives its
-- number back.
CREATE TABLE journal_counters (
    community_id bigint NOT NULL REFERENCES communities,
    journal text NOT NULL,
    year integer NOT NULL,
    last_number integer NOT NULL DEFAULT 0,
    PRIMARY KEY (community_id, journal, year)
);

CREATE TABLE documents (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    kind text NOT NULL CHECK (kind IN ('appeal', 'petition', 'problem_report', 'geo_feedback', 'budget_project', 'consultation_report')),
    -- The module object this document answers, e.g. ('appeal', '42').
    source_type text NOT NULL,
    source_id text NOT NULL,
    journal text NOT NULL,
    registration_year integer NOT NULL,
    registration_number integer NOT NULL CHECK (registration_number > 0),
    reference text NOT NULL,
    registered_at timestamptz NOT NULL DEFAULT now(),
    registered_on date NOT NULL,
    department_id bigint NOT NULL,
    assignee_id bigint REFERENCES people,
    due_on date NOT NULL,
    extension_reason text,
    priority text NOT NULL DEFAULT 'normal' CHECK (priority IN ('normal', 'high', 'urgent')),
    status text NOT NULL DEFAULT 'registered'
        CHECK (status IN ('registered', 'assigned', 'in_progress', 'answered', 'closed', 'returned')),
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    author_id bigint REFERENCES people,
    is_public boolean NOT NULL,
    answer_text text,
    answer_outcome text,
    answer_link text,
    answered_at timestamptz,
    answered_by bigint REFERENCES people,
    overdue_notified_at timestamptz,
    UNIQUE (community_id, journal, registration_year, registration_number),
    UNIQUE (community_id, reference),
    UNIQUE (source_type, source_id, community_id),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id),
    CHECK ((status IN ('answered', 'closed')) = (answered_at IS NOT NULL))
);
CREATE INDEX documents_queue ON documents (community_id, department_id, status, due_on);
CREATE INDEX documents_assignee ON documents (assignee_id, status);
CREATE INDEX documents_author ON documents (author_id);

-- Everything that happened to a document: who, when, what, why. Append-only.
CREATE TABLE document_events (
    id bigserial PRIMARY KEY,
    document_id bigint NOT NULL REFERENCES documents,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES people,
    action text NOT NULL,
    from_status text,
    to_status text,
    comment text NOT NULL DEFAULT '',
    -- Internal events (comments, assignments) are for staff only.
    is_internal boolean NOT NULL
);
CREATE INDEX document_events_document ON document_events (document_id, id);

CREATE TRIGGER document_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON document_events
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER document_events_no_truncate
    BEFORE TRUNCATE ON document_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Appeals to the council: the first module that hands its items to the workflow.
CREATE TABLE appeals (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    author_id bigint NOT NULL REFERENCES people,
    topic text NOT NULL,
    subject text NOT NULL CHECK (length(subject) BETWEEN 1 AND 200),
    body text NOT NULL CHECK (length(body) BETWEEN 1 AND 10000),
    address text CHECK (length(address) <= 300),
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX appeals_author ON appeals (author_id, created_at DESC);

-- Background jobs. Workers claim with FOR UPDATE SKIP LOCKED and hold a lease; a job whose
-- worker died is claimed again once its lease runs out.
CREATE TABLE jobs (
    id bigserial PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    run_at timestamptz NOT NULL DEFAULT now(),
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 8,
    locked_by text,
    locked_until timestamptz,
    last_error text,
    -- Jobs with the same key are enqueued once while one is waiting (a sweep, a period end).
    unique_key text,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_at) WHERE status IN ('pending', 'running');
CREATE UNIQUE INDEX jobs_waiting_once ON jobs (unique_key) WHERE status IN ('pending', 'running');

-- E-mail to people: written in the transaction of the event it tells about, delivered later.
CREATE TABLE outbox_messages (
    id bigserial PRIMARY KEY,
    community_id bigint REFERENCES communities,
    person_id bigint REFERENCES people,
    to_address text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    sent_at timestamptz
);
CREATE INDEX outbox_community ON outbox_messages (community_id, created_at DESC);
CREATE INDEX outbox_person ON outbox_messages (person_id, created_at DESC);
