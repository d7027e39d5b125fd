-- Participatory budget: cycles with dated phases, projects reviewed through the workflow,
-- votes online and in person under one limit, a published tally and ballots, implementation.

-- Each phase runs from its start date until the next phase starts; closing a phase early moves
-- the next start date to today. Money is in kopecks.
CREATE TABLE budget_cycles (
    id bigserial PRIMARY KEY,
    community_id bigint NOT NULL REFERENCES communities,
    title text NOT NULL CHECK (length(title) BETWEEN 3 AND 200),
    submission_starts_on date NOT NULL,
    review_starts_on date NOT NULL,
    voting_starts_on date NOT NULL,
    results_starts_on date NOT NULL,
    implementation_starts_on date NOT NULL,
    maximum_project_cost bigint NOT NULL CHECK (maximum_project_cost > 0),
    author_minimum_age integer NOT NULL CHECK (author_minimum_age BETWEEN 14 AND 100),
    maximum_projects_per_author integer NOT NULL CHECK (maximum_projects_per_author BETWEEN 1 AND 100),
    voter_minimum_age integer NOT NULL CHECK (voter_minimum_age BETWEEN 14 AND 100),
    votes_per_voter integer NOT NULL CHECK (votes_per_voter BETWEEN 1 AND 50),
    -- 'category': the limit applies in each category; 'cycle': across the whole cycle.
    vote_scope text NOT NULL CHECK (vote_scope IN ('category', 'cycle')),
    counts_visible_while_voting boolean NOT NULL,
    created_by bigint REFERENCES people,
    created_at timestamptz NOT NULL DEFAULT now(),
    -- Set once, when the tally and the ballots are published.
    results_published_at timestamptz,
    ballots_digest text,
    ballots_count integer,
    CHECK (submission_starts_on <= review_starts_on AND review_starts_on <= voting_starts_on
           AND voting_starts_on <= results_starts_on AND results_starts_on <= implementation_starts_on),
    CHECK ((results_published_at IS NULL) = (ballots_digest IS NULL)),
    UNIQUE (id, community_id)
);
CREATE INDEX budget_cycles_community ON budget_cycles (community_id, submission_starts_on DESC);

-- Each category has its own money and the department that reviews its projects.
CREATE TABLE budget_categories (
    id bigserial PRIMARY KEY,
    cycle_id bigint NOT NULL,
    community_id bigint NOT NULL,
    name_uk text NOT NULL CHECK (length(name_uk) BETWEEN 1 AND 200),
    name_en text NOT NULL CHECK (length(name_en) BETWEEN 1 AND 200),
    budget bigint NOT NULL CHECK (budget > 0),
    department_id bigint NOT NULL,
    FOREIGN KEY (cycle_id, community_id) REFERENCES budget_cycles (id, community_id),
    FOREIGN KEY (department_id, community_id) REFERENCES departments (id, community_id),
    UNIQUE (id, cycle_id)
);

CREATE TABLE budget_projects (
    id bigserial PRIMARY KEY,
    cycle_id bigint NOT NULL,
    community_id bigint NOT NULL REFERENCES communities,
    category_id bigint NOT NULL,
    author_id bigint NOT NULL REFERENCES people,
    title text NOT NULL CHECK (length(title) BETWEEN 10 AND 200),
    description text NOT NULL CHECK (length(description) BETWEEN 50 AND 10000),
    location geometry(Point, 4326),
    -- The sum of the estimate's lines, computed by the server.
    estimated_cost bigint NOT NULL CHECK (estimated_cost > 0),
    -- Set by the reviewing department when the estimate was wrong.
    corrected_cost bigint CHECK (corrected_cost > 0),
    status text NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'admitted', 'rejected')),
    review_reason text,
    submitted_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Implementation of a winning project.
    implementation_status text CHECK (implementation_status IN ('planned', 'procurement', 'in_progress', 'done')),
    progress integer NOT NULL DEFAULT 0 CHECK (progress BETWEEN 0 AND 100),
    spent bigint NOT NULL DEFAULT 0 CHECK (spent >= 0),
    FOREIGN KEY (category_id, cycle_id) REFERENCES budget_categories (id, cycle_id),
    CHECK (status <> 'rejected' OR review_reason IS NOT NULL)
);
CREATE INDEX budget_projects_cycle ON budget_projects (cycle_id, category_id, status);
CREATE INDEX budget_projects_author ON budget_projects (author_id, cycle_id);

CREATE TABLE budget_cost_lines (
    project_id bigint NOT NULL REFERENCES budget_projects ON DELETE CASCADE,
    position integer NOT NULL CHECK (position BETWEEN 1 AND 50),
    item text NOT NULL CHECK (length(item) BETWEEN 1 AND 200),
    -- Hundredths of a unit: 12.5 m² is 1250.
    quantity_hundredths bigint NOT NULL CHECK (quantity_hundredths > 0),
    unit_price bigint NOT NULL CHECK (unit_price > 0),
    PRIMARY KEY (project_id, position)
);

-- One row per vote, never changed or removed: a vote once cast is final. At most one vote per
-- person and project, whatever the channel.
CREATE TABLE budget_votes (
    project_id bigint NOT NULL REFERENCES budget_projects,
    person_id bigint NOT NULL REFERENCES people,
    cycle_id bigint NOT NULL REFERENCES budget_cycles,
    -- The category for a per-category limit, 0 for a per-cycle limit.
    scope_id bigint NOT NULL,
    channel text NOT NULL CHECK (channel IN ('online', 'in_person')),
    -- The member of staff who recorded an in-person vote.
    recorded_by bigint REFERENCES people,
    cast_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (project_id, person_id),
    CHECK ((channel = 'in_person') = (recorded_by IS NOT NULL))
);
CREATE INDEX budget_votes_voter ON budget_votes (cycle_id, person_id);
CREATE TRIGGER budget_votes_final
    BEFORE UPDATE OR DELETE ON budget_votes
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER budget_votes_no_truncate
    BEFORE TRUNCATE ON budget_votes
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Votes a person has cast per limit scope. Every vote increments its row in the same statement,
-- so concurrent votes of one person queue on this row and the check refuses the one too many.
CREATE TABLE budget_vote_allowances (
    cycle_id bigint NOT NULL REFERENCES budget_cycles,
    person_id bigint NOT NULL REFERENCES people,
    scope_id bigint NOT NULL,
    votes_cast integer NOT NULL,
    vote_limit integer NOT NULL,
    PRIMARY KEY (cycle_id, person_id, scope_id),
    CONSTRAINT budget_vote_allowances_within_limit CHECK (votes_cast BETWEEN 1 AND vote_limit)
);

-- The published ballots: a hash of each voter's receipt code and the projects they chose, with no
-- path back to the person. Anyone can recount the tally from them.
CREATE TABLE budget_published_ballots (
    cycle_id bigint NOT NULL REFERENCES budget_cycles,
    receipt_hash text NOT NULL CHECK (receipt_hash ~ '^[0-9a-f]{64}$'),
    project_ids bigint[] NOT NULL,
    PRIMARY KEY (cycle_id, receipt_hash)
);

-- Each step of the greedy tally, per category, as published.
CREATE TABLE budget_results (
    cycle_id bigint NOT NULL REFERENCES budget_cycles,
    category_id bigint NOT NULL REFERENCES budget_categories,
    rank integer NOT NULL,
    project_id bigint NOT NULL REFERENCES budget_projects,
    votes integer NOT NULL,
    cost bigint NOT NULL,
    money_left_before bigint NOT NULL,
    outcome text NOT NULL CHECK (outcome IN ('won', 'does_not_fit', 'no_votes')),
    PRIMARY KEY (cycle_id, category_id, rank),
    UNIQUE (project_id)
);

-- News of a winning project's implementation, with the status and figures it set.
CREATE TABLE budget_project_updates (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES budget_projects,
    at timestamptz NOT NULL DEFAULT now(),
    author_id bigint NOT NULL REFERENCES people,
    implementation_status text NOT NULL CHECK (implementation_status IN ('planned', 'procurement', 'in_progress', 'done')),
    progress integer NOT NULL CHECK (progress BETWEEN 0 AND 100),
    spent bigint NOT NULL CHECK (spent >= 0),
    text text NOT NULL CHECK (length(text) BETWEEN 1 AND 5000)
);
CREATE INDEX budget_project_updates_project ON budget_project_updates (project_id, id);

-- People following a project's implementation news.
CREATE TABLE budget_followers (
    project_id bigint NOT NULL REFERENCES budget_projects,
    person_id bigint NOT NULL REFERENCES people,
    PRIMARY KEY (project_id, person_id)
);

-- Status changes of a project with who, when and why.
CREATE TABLE budget_project_events (
    id bigserial PRIMARY KEY,
    project_id bigint NOT NULL REFERENCES budget_projects,
    at timestamptz NOT NULL DEFAULT now(),
    actor_id bigint REFERENCES people,
    action text NOT NULL,
    comment text NOT NULL DEFAULT ''
);
CREATE INDEX budget_project_events_project ON budget_project_events (project_id, id);
CREATE TRIGGER budget_project_events_no_update_or_delete
    BEFORE UPDATE OR DELETE ON budget_project_events
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
