-- Territorial communities. One deployment hosts many; every community-owned row carries its community.
CREATE TABLE communities (
    id bigserial PRIMARY KEY,
    slug citext NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9][a-z0-9-]{1,62}$'),
    name_uk text NOT NULL CHECK (length(name_uk) BETWEEN 1 AND 300),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 300),
    -- Thresholds, periods and limits the modules read; see CommunitySettings.swift for the defaults.
    settings jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(settings) = 'object'),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- Executive bodies: departments, municipal enterprises, district administrations.
CREATE TABLE departments (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    slug citext NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    name_uk text NOT NULL CHECK (length(name_uk) BETWEEN 1 AND 300),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 300),
    UNIQUE (community_id, slug),
    UNIQUE (id, community_id)
);

-- Public holidays and other days off, per community; deadlines in working days skip them.
CREATE TABLE holidays (
    community_id bigint NOT NULL REFERENCES communities,
    day date NOT NULL,
    name_uk text NOT NULL,
    name_en text NOT NULL,
    PRIMARY KEY (community_id, day)
);
