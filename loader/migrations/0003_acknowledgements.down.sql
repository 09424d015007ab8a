-- Reverts 0003_acknowledgements.up.sql: every acknowledgement is lost, and a
-- version with shortfalls must be acknowledged again before it is published.
DROP VIEW IF EXISTS shortfall_acknowledgement_log;
DROP TABLE IF EXISTS shortfall_acknowledgements;
DROP FUNCTION IF EXISTS weekplan_acknowledgements_append_only();
ALTER TABLE shortfalls DROP CONSTRAINT IF EXISTS shortfalls_acknowledgement_key;
