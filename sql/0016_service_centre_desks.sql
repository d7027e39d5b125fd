-- The community's administrative service centre (ЦНАП): an administrator marks the departments
-- that are the centre (the centre itself and any branch of it). Only their officials and head use
-- the identity-verification and in-person voting desks.
ALTER TABLE departments ADD COLUMN is_service_centre boolean NOT NULL DEFAULT false;

-- Nobody verifies themselves. NOT VALID: rows recorded before this rule are kept as they were,
-- every new or changed row is checked.
ALTER TABLE verifications ADD CONSTRAINT verifications_not_by_self
    CHECK (verified_by IS NULL OR verified_by <> person_id) NOT VALID;

-- A verification that stops standing (replaced by a newer one) stays as history with a stated reason.
ALTER TABLE verifications ADD CONSTRAINT verifications_revoked_with_reason
    CHECK (revoked_at IS NULL OR length(btrim(coalesce(revoke_reason, ''))) BETWEEN 1 AND 1000) NOT VALID;

-- One person's verifications in a community, standing and replaced: the history desk staff read.
CREATE INDEX verifications_history ON verifications (person_id, community_id);
