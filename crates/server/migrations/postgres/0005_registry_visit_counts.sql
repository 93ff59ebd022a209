-- As ../sqlite/0005_registry_visit_counts.sql.
CREATE INDEX visit_index_recent_idx ON visit_index (visited_on DESC, received_at DESC, visit_id);
CREATE INDEX visit_index_score_idx ON visit_index (score_centi);
CREATE INDEX visit_index_organisation_idx ON visit_index (organisation_id);
