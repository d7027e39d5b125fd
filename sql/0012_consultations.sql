-- E-consultations: a draft decision open for comment section by section, an optional survey with
-- one final submission per person, and the responsible body's published report.

CREATE TABLE consultations (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    title text NOT NULL CHECK (length(title) BETWEEN 10 AND 300),
    question text NOT NULL CHECK (length(question) BETWEEN 10 AND 2000),
    department_id bigint NOT NULL,
    -- Who the decision affects, in the body's words.
    affected text NOT NULL DEFAULT '' CHECK (length(affected) <= 1000),
    starts_on date NOT NULL,
    ends_on date NOT NULL,
    format text NOT NULL CHECK (format IN ('discussion', 'survey', 'both')),
    -- 'registered': any member of the community with an account; 'verified': verified residents.
    participation text NOT NULL CHECK (participation IN ('registered', 'verified')),
    minimum_age integer NOT NULL CHECK (minimum_age BETWEEN 14 AND 100),
    -- 'pre': comments show after a moderator approves them; 'post': at once, removable.
    moderation text NOT NULL CHECK (moderation IN ('pre', 'post')),
    created_by bigint NOT NULL REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now(),
    closed_at timestamptz,
    report_summary text,
    report_published_at timestamptz,
    CHECK (starts_on <= ends_on),
    CHECK (report_published_at IS NULL OR closed_at IS NOT NULL),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id),
    UNIQUE (id, community_id)
);
CREATE INDEX consultations_community ON consultations (community_id, starts_on DESC);

-- Attached documents: links to the full texts, maps, expert opinions.
CREATE TABLE consultation_documents (
    id bigserial PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultations,
    title text NOT NULL CHECK (length(title) BETWEEN 1 AND 300),
    url text NOT NULL CHECK (url ~ '^https?://' AND length(url) <= 1000)
);

-- The draft, in versions. A version's sections never change once anyone could comment on them;
-- a changed draft is a new version, and comments keep pointing at the sections they discussed.
CREATE TABLE consultation_versions (
    id bigserial PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultations,
    number integer NOT NULL CHECK (number >= 1),
    note text NOT NULL DEFAULT '' CHECK (length(note) <= 2000),
    created_by bigint NOT NULL REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (consultation_id, number)
);

CREATE TABLE consultation_sections (
    id bigserial PRIMARY KEY,
    version_id bigint NOT NULL REFERENCES consultation_versions,
    position integer NOT NULL CHECK (position >= 1),
    heading text NOT NULL CHECK (length(heading) BETWEEN 1 AND 300),
    body text NOT NULL CHECK (length(body) <= 20000),
    UNIQUE (version_id, position)
);

CREATE TABLE consultation_comments (
    id bigserial PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultations,
    -- NULL: on the draft as a whole.
    section_id bigint REFERENCES consultation_sections,
    parent_id bigint REFERENCES consultation_comments,
    author_id bigint NOT NULL REFERENCES people,
    body text NOT NULL CHECK (length(body) BETWEEN 2 AND 5000),
    status text NOT NULL CHECK (status IN ('pending', 'published', 'removed')),
    removal_reason text,
    moderated_by bigint REFERENCES people,
    moderated_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((status = 'removed') = (removal_reason IS NOT NULL))
);
CREATE INDEX consultation_comments_consultation ON consultation_comments (consultation_id, status, id);

CREATE TABLE consultation_comment_supports (
    comment_id bigint NOT NULL REFERENCES consultation_comments,
    person_id bigint NOT NULL REFERENCES people,
    PRIMARY KEY (comment_id, person_id)
);

-- The survey. Options are plain text; a scale runs from scale_min to scale_max.
CREATE TABLE consultation_questions (
    id bigserial PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultations,
    position integer NOT NULL CHECK (position >= 1),
    kind text NOT NULL CHECK (kind IN ('single', 'multiple', 'scale', 'text')),
    text text NOT NULL CHECK (length(text) BETWEEN 3 AND 1000),
    options text[] NOT NULL DEFAULT '{}' CHECK (cardinality(options) <= 10),
    max_choices integer CHECK (max_choices >= 1),
    scale_min integer,
    scale_max integer,
    UNIQUE (consultation_id, position),
    CHECK (kind <> 'scale' OR (scale_min IS NOT NULL AND scale_max IS NOT NULL AND scale_min < scale_max AND scale_max - scale_min <= 10)),
    CHECK (kind NOT IN ('single', 'multiple') OR cardinality(options) >= 2)
);

-- Who took part in the survey: one row per person, which makes a second submission impossible.
-- It holds no link to the answers.
CREATE TABLE consultation_participants (
    consultation_id bigint NOT NULL REFERENCES consultations,
    person_id bigint NOT NULL REFERENCES people,
    PRIMARY KEY (consultation_id, person_id)
);

-- The answers, with only the facts the report needs about the person.
CREATE TABLE consultation_submissions (
    id bigserial PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultations,
    -- 'unknown' when a registered but unverified person took part.
    age_band text NOT NULL CHECK (age_band IN ('under-14', '14-17', '18-29', '30-44', '45-59', '60+', 'unknown')),
    is_resident boolean NOT NULL
);
CREATE INDEX consultation_submissions_consultation ON consultation_submissions (consultation_id);

CREATE TABLE consultation_answers (
    submission_id bigint NOT NULL REFERENCES consultation_submissions,
    question_id bigint NOT NULL REFERENCES consultation_questions,
    choices integer[],
    scale_value integer,
    text_value text CHECK (length(text_value) <= 5000),
    PRIMARY KEY (submission_id, question_id)
);
CREATE INDEX consultation_answers_question ON consultation_answers (question_id);

-- The responsible body's conclusions: each proposal accepted, partly accepted or rejected, with why.
CREATE TABLE consultation_conclusions (
    id bigserial PRIMARY KEY,
    consultation_id bigint NOT NULL REFERENCES consultations,
    comment_id bigint REFERENCES consultation_comments,
    proposal text NOT NULL CHECK (length(proposal) BETWEEN 2 AND 5000),
    decision text NOT NULL CHECK (decision IN ('accepted', 'partly_accepted', 'rejected')),
    reason text NOT NULL CHECK (length(reason) BETWEEN 2 AND 5000),
    created_by bigint NOT NULL REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now()
);
