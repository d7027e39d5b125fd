-- Accounts a person manages alone: e-mail confirmation and password reset.

-- When the person followed their confirmation link. Until then they may read but not write.
-- Accounts that existed before confirmation did (the demo's among them), and accounts made by an
-- operator (`hromada create-user`, the demo loader), count as confirmed: only the public sign-up
-- form inserts NULL explicitly.
ALTER TABLE people ADD COLUMN email_confirmed_at timestamptz DEFAULT now();
UPDATE people SET email_confirmed_at = created_at;

-- Single-use links sent by e-mail. Only the SHA-256 of the token is kept: the database alone
-- cannot be used to follow a link.
CREATE TABLE account_tokens (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('confirm_email', 'reset_password')),
    person_id bigint NOT NULL REFERENCES people ON DELETE CASCADE,
    -- The address the link was sent to: a confirmation confirms that address only.
    email citext NOT NULL,
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    used_at timestamptz,
    CHECK (expires_at > created_at)
);
CREATE INDEX account_tokens_person ON account_tokens (person_id, kind) WHERE used_at IS NULL;
