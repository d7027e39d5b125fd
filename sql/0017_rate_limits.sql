-- A community's own limits on what people create (see Limits/CreationLimits.swift for the
-- defaults that apply where a community has no row): at most `maximum` items, or bytes for
-- upload_bytes, per `window_seconds`, for each person, client address or Open311 application key.
CREATE TABLE community_limits (
    community_id bigint NOT NULL REFERENCES communities ON DELETE CASCADE,
    action text NOT NULL CHECK (action ~ '^[a-z0-9_]{2,40}$'),
    scope text NOT NULL CHECK (scope IN ('person', 'address', 'api_key')),
    maximum integer NOT NULL CHECK (maximum BETWEEN 1 AND 2000000000),
    window_seconds integer NOT NULL CHECK (window_seconds IN (900, 3600, 86400, 604800)),
    updated_by bigint REFERENCES people,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (community_id, action, scope)
);
