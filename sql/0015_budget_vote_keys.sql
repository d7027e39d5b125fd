-- A vote's project and cycle are checked together, so a vote can only name its own project's
-- cycle. It is also one foreign-key check per vote instead of two, and none on the cycle's row,
-- which every voter of the cycle shares: each check takes a share lock on the row it finds.
ALTER TABLE budget_projects ADD CONSTRAINT budget_projects_id_cycle_id_key UNIQUE (id, cycle_id);
ALTER TABLE budget_votes
    DROP CONSTRAINT budget_votes_project_id_fkey,
    DROP CONSTRAINT budget_votes_cycle_id_fkey,
    ADD CONSTRAINT budget_votes_project_cycle_fkey FOREIGN KEY (project_id, cycle_id) REFERENCES budget_projects (id, cycle_id);

-- Allowances count budget_votes rows and are written only beside them, by the voting statement,
-- which takes the cycle from the vote's project; checking their cycle too would lock that shared
-- row again for every new voter.
ALTER TABLE budget_vote_allowances DROP CONSTRAINT budget_vote_allowances_cycle_id_fkey;
