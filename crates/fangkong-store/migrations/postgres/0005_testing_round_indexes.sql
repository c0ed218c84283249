-- Indexes that each result of a round paid for and no query needed (PostgreSQL).
-- Keep in step with sqlite/0005_testing_round_indexes.sql.
--
-- An index over every tube's status made each result of a round move its tube from
-- 'collected' to 'negative' in that index too; the partial index holds only the few
-- flagged tubes, so negative results leave it alone.
DROP INDEX tubes_status;
CREATE INDEX tubes_flagged ON tubes(status) WHERE status IN ('positive', 'inconclusive');

-- Results are looked up by tube through their unique key, which begins with the tube: a
-- second index on the tube alone was one more B-tree insert per result.
DROP INDEX tube_results_tube;
