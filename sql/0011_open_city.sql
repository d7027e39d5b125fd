-- Open City: problem reports on a map, moderated, routed through the workflow, with an Open311
-- GeoReport v2 interface for other applications.

-- What can be reported, per community: each category goes to a department with a target time.
-- The code is the Open311 service_code.
CREATE TABLE report_categories (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    code text NOT NULL CHECK (code ~ '^[a-z0-9_]{2,40}$'),
    name_uk text NOT NULL CHECK (length(name_uk) BETWEEN 1 AND 200),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    description_uk text NOT NULL DEFAULT '',
    description_en text NOT NULL DEFAULT '',
    department_id bigint NOT NULL,
    -- The target response time, shown to residents.
    response_days integer NOT NULL CHECK (response_days BETWEEN 1 AND 365),
    -- Open311 service attributes: [{"code", "datatype", "required", "description_uk", "description_en", "values": [{"key", "name_uk", "name_en"}]}]
    attributes jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attributes) = 'array'),
    active boolean NOT NULL DEFAULT true,
    UNIQUE (community_id, code),
    UNIQUE (id, community_id),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id)
);

-- Applications that may post through Open311; only the key's SHA-256 is kept.
CREATE TABLE open311_applications (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    key_hash bytea NOT NULL UNIQUE CHECK (length(key_hash) = 32),
    created_by bigint REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

CREATE TABLE reports (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    category_id bigint NOT NULL,
    -- The signed-in resident who reported it; reports posted through Open311 may name the
    -- reporter only by the fields below.
    author_id bigint REFERENCES people,
    application_id bigint REFERENCES open311_applications,
    reporter_name text CHECK (length(reporter_name) <= 200),
    reporter_email text CHECK (length(reporter_email) <= 254),
    location geometry(Point, 4326) NOT NULL,
    address text NOT NULL DEFAULT '' CHECK (length(address) <= 300),
    description text NOT NULL CHECK (length(description) BETWEEN 10 AND 5000),
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    status text NOT NULL DEFAULT 'new'
        CHECK (status IN ('new', 'accepted', 'in_progress', 'resolved', 'rejected', 'not_resolved')),
    -- Why it was rejected or not resolved, or the official answer.
    status_notes text,
    merged_into bigint REFERENCES reports,
    -- How many times the reporter reopened it after it was resolved.
    reopened integer NOT NULL DEFAULT 0,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    resolved_at timestamptz,
    FOREIGN KEY (category_id, community_id) REFERENCES report_categories (id, community_id),
    CHECK (author_id IS NOT NULL OR application_id IS NOT NULL),
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL)),
    CHECK (status NOT IN ('rejected', 'not_resolved') OR status_notes IS NOT NULL)
);
CREATE INDEX reports_location ON reports USING gist (location);
CREATE INDEX reports_listing ON reports (community_id, status, created_at DESC);
CREATE INDEX reports_category ON reports (category_id, created_at DESC);
CREATE INDEX reports_created ON reports (community_id, created_at);

-- "Me too": residents who have the same problem. The reporter is not counted.
CREATE TABLE report_supporters (
    report_id bigint NOT NULL REFERENCES reports,
    person_id bigint NOT NULL REFERENCES people,
    at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (report_id, person_id)
);

-- The public timeline: status changes with who and why, official answers, comments.
CREATE TABLE report_events (
    id bigserial PRIMARY KEY,
    report_id bigint NOT NULL REFERENCES reports,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES people,
    kind text NOT NULL CHECK (kind IN ('status', 'answer', 'comment', 'merge')),
    from_status text,
    to_status text,
    text text NOT NULL DEFAULT '' CHECK (length(text) <= 5000)
);
CREATE INDEX report_events_report ON report_events (report_id, id);
CREATE TRIGGER report_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON report_events
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
