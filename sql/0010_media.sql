-- Photos people upload (budget projects and their implementation, later reports), kept in the
-- database so that every web process serves them and a backup holds them. Only JPEG, PNG and
-- WebP recognised by their bytes are stored, with location and other metadata removed.
CREATE TABLE media (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    -- What the photo belongs to, such as ('budget_project', 12).
    owner_type text NOT NULL CHECK (owner_type ~ '^[a-z_]{2,40}$'),
    owner_id bigint NOT NULL,
    content_type text NOT NULL CHECK (content_type IN ('image/jpeg', 'image/png', 'image/webp')),
    bytes bytea NOT NULL CHECK (octet_length(bytes) BETWEEN 1 AND 10485760),
    uploaded_by bigint REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_owner ON media (owner_type, owner_id, id);
