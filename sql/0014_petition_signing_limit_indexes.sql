-- The per-person and per-IP signing limits count recent signatures through these. (Databases
-- created while they stood in 0008 already have them.)
CREATE INDEX IF NOT EXISTS petition_signatures_person ON petition_signatures (person_id, signed_at);
CREATE INDEX IF NOT EXISTS petition_signatures_ip ON petition_signatures (ip, signed_at);
