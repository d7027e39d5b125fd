-- Sign-in sessions for browsers (cookie) and API clients (bearer token).
-- Only the SHA-256 of a token is stored, so a copy of this table signs nobody in.
CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    person_id bigint NOT NULL REFERENCES people ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('browser', 'api')),
    created_at timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    ip inet,
    user_agent text
);
CREATE INDEX sessions_person ON sessions (person_id);
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- Fixed-window counters for rate limits, shared by every web process.
CREATE TABLE rate_limit_windows (
    bucket text NOT NULL,
    window_start timestamptz NOT NULL,
    hits integer NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX rate_limit_windows_age ON rate_limit_windows (window_start);
