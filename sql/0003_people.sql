-- People with an account. Roles are granted per community.
CREATE TABLE people (
    id bigserial PRIMARY KEY,
    email citext NOT NULL UNIQUE CHECK (email ~ '^[^@\s]+@[^@\s]+\.[^@\s]+$' AND length(email) <= 254),
    -- scrypt$<log2 N>$<r>$<p>$<salt base64>$<hash base64>
    password_hash text NOT NULL,
    full_name text NOT NULL CHECK (length(full_name) BETWEEN 1 AND 200),
    locale text NOT NULL DEFAULT 'uk' CHECK (locale IN ('uk', 'en')),
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE role_grants (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    person_id bigint NOT NULL REFERENCES people,
    role text NOT NULL CHECK (role IN ('citizen', 'moderator', 'official', 'department_head', 'administrator')),
    -- Officials and department heads belong to a department of the same community.
    department_id bigint,
    granted_by bigint REFERENCES people,
    granted_at timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id),
    CHECK ((role IN ('official', 'department_head')) = (department_id IS NOT NULL))
);
CREATE UNIQUE INDEX role_grants_once ON role_grants (community_id, person_id, role, coalesce(department_id, 0));
CREATE INDEX role_grants_person ON role_grants (person_id);
