-- Identity verification: a trusted source confirmed a person's name, birth date and residence.
-- A document number is never stored: only its keyed hash (HMAC-SHA256 with the server's secret),
-- and one document belongs to one person, so it cannot verify a second account.
CREATE TABLE identity_documents (
    document_hash bytea PRIMARY KEY CHECK (length(document_hash) = 32),
    person_id bigint NOT NULL REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (document_hash, person_id)
);

CREATE TABLE verifications (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    person_id bigint NOT NULL REFERENCES people,
    -- in_person: staff at the administrative service centre; later: oidc providers (id.gov.ua, BankID, Diia).
    source text NOT NULL CHECK (source ~ '^[a-z_]{2,40}$'),
    verified_name text NOT NULL CHECK (length(verified_name) BETWEEN 1 AND 200),
    birth_date date NOT NULL CHECK (birth_date > '1900-01-01'),
    is_resident boolean NOT NULL,
    document_type text NOT NULL CHECK (document_type IN ('passport_booklet', 'id_card', 'foreign_passport', 'residence_permit', 'electronic')),
    document_hash bytea NOT NULL,
    verified_by bigint REFERENCES people,
    verified_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz,
    revoked_by bigint REFERENCES people,
    revoke_reason text,
    FOREIGN KEY (document_hash, person_id) REFERENCES identity_documents (document_hash, person_id),
    CHECK ((revoked_at IS NULL) = (revoked_by IS NULL))
);
-- At most one standing verification per person and community.
CREATE UNIQUE INDEX verifications_current ON verifications (community_id, person_id) WHERE revoked_at IS NULL;
