-- The registry page counts each organisation's visits
-- (visit_index.organisation_id = o.id), and a merge moves an organisation's
-- visits: both need this index, or every registry page scans every visit
-- once per organisation.
CREATE INDEX visit_index_organisation_idx ON visit_index (organisation_id);
