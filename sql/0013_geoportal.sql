-- Geoportal: registers (layers) of GIS objects kept by departments, with versioned objects, and
-- feedback on an object that becomes an Open City report routed to the register's department.

CREATE TABLE gis_registers (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    code text NOT NULL CHECK (code ~ '^[a-z0-9_-]{2,40}$'),
    name_uk text NOT NULL CHECK (length(name_uk) BETWEEN 1 AND 200),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    description text NOT NULL DEFAULT '',
    department_id bigint NOT NULL,
    geometry_type text NOT NULL CHECK (geometry_type IN ('point', 'line', 'polygon')),
    -- [{"name", "type": text|integer|number|boolean|date, "label_uk", "label_en", "required"}]
    attribute_schema jsonb NOT NULL DEFAULT '[]' CHECK (jsonb_typeof(attribute_schema) = 'array'),
    -- The Open City categories offered on its objects' feedback form.
    feedback_categories text[] NOT NULL DEFAULT '{}',
    is_public boolean NOT NULL DEFAULT true,
    color text NOT NULL DEFAULT '#0b5cad' CHECK (color ~ '^#[0-9a-f]{6}$'),
    UNIQUE (community_id, code),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id)
);

CREATE TABLE gis_objects (
    id bigserial PRIMARY KEY,
    register_id bigint NOT NULL REFERENCES gis_registers,
    -- The identifier in the system the data came from; re-imports update by it.
    source_id text NOT NULL CHECK (length(source_id) BETWEEN 1 AND 200),
    geometry geometry(Geometry, 4326) NOT NULL CHECK (ST_IsValid(geometry)),
    attributes jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(attributes) = 'object'),
    version integer NOT NULL DEFAULT 1,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by bigint REFERENCES people,
    UNIQUE (register_id, source_id)
);
CREATE INDEX gis_objects_geometry ON gis_objects USING gist (geometry);
CREATE INDEX gis_objects_register ON gis_objects (register_id, id);

-- Every earlier state of an object, written by the trigger below whenever one changes.
CREATE TABLE gis_object_versions (
    object_id bigint NOT NULL REFERENCES gis_objects ON DELETE CASCADE,
    version integer NOT NULL,
    geometry geometry(Geometry, 4326) NOT NULL,
    attributes jsonb NOT NULL,
    valid_from timestamptz NOT NULL,
    valid_until timestamptz NOT NULL,
    changed_by bigint REFERENCES people,
    PRIMARY KEY (object_id, version)
);

CREATE FUNCTION gis_objects_keep_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.geometry IS NOT DISTINCT FROM OLD.geometry AND NEW.attributes = OLD.attributes THEN
        RETURN NEW;
    END IF;
    INSERT INTO gis_object_versions (object_id, version, geometry, attributes, valid_from, valid_until, changed_by)
    VALUES (OLD.id, OLD.version, OLD.geometry, OLD.attributes, OLD.updated_at, now(), OLD.updated_by);
    NEW.version := OLD.version + 1;
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;
CREATE TRIGGER gis_objects_versioned BEFORE UPDATE ON gis_objects FOR EACH ROW EXECUTE FUNCTION gis_objects_keep_version();

-- Reports about an object (feedback from its page, or linked from the Open City map).
ALTER TABLE reports ADD COLUMN gis_object_id bigint REFERENCES gis_objects;
CREATE INDEX reports_gis_object ON reports (gis_object_id) WHERE gis_object_id IS NOT NULL;
