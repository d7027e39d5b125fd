-- A vote's project and cycle are checked together, so a vote can only name its own project's
-- cycle. It is also one foreign-key check per vote instead of two, and none on the cycle's row,
-- which every voter of the cycle shares: each check takes a share lock on the row it finds.
ALTER TABLE budget_projects ADD CONSTRAINT budget_projects_id_cycle_id_key UNIQUE (id, cycle_id);
ALTER TABLE budget_votes
    DROP CONSTRAINT budget_votes_project_id_fkey,
    DROP CONSTRAINT budget_votes_cycle_id_fkey,
    ADD CONSTRAINT budget_votes_project_cycle_fkey FOREIGN KEY (project_id, cycle_id) REFERENCES budget_projects (id, cycle_id);

-- Allowances count budget_votes rows and are written only beside them, by the voting statement,
-- from the votes it has just inserted, whose keys are checked. Checking them again would lock the
-- cycle's shared row and the voter's row a second time for every new voter.
ALTER TABLE budget_vote_allowances
    DROP CONSTRAINT budget_vote_allowances_cycle_id_fkey,
    DROP CONSTRAINT budget_vote_allowances_person_id_fkey;
