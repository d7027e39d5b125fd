-- Who did what, where and when. Written in the same transaction as the change it records;
-- the database refuses to change or remove an entry.
CREATE TABLE audit_log (
    id bigserial PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES people,
    community_id bigint REFERENCES communities,
    action text NOT NULL CHECK (action ~ '^[a-z_.]{3,80}$'),
    object_type text,
    object_id text,
    summary text NOT NULL DEFAULT '',
    ip inet
);
CREATE INDEX audit_log_community ON audit_log (community_id, at DESC);
CREATE INDEX audit_log_object ON audit_log (object_type, object_id);

CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();

CREATE TRIGGER audit_log_no_truncate
    BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();
