-- weekplan schema, version 3: acknowledgements of IEP shortfalls.
--
-- A version whose schedule leaves IEP minutes unmet is published only once an
-- administrator has acknowledged its shortfalls (docs/administration.md,
-- "weekplan publish"). shortfall_acknowledgements is the audit trail of that:
-- one row per acknowledged shortfall of a version, saying who accepted it,
-- when and why. Acknowledgements belong to one version: a new version of the
-- week, even an identical one, needs its own.
--
-- The row references its shortfall by (version_id, student_id, mode, minutes),
-- so that only a shortfall the version has can be acknowledged, and for the
-- minutes it has; the version's row names the school, week and version. With
-- no ON DELETE action, a version or shortfall that is acknowledged cannot be
-- deleted. Rows are never changed or removed: the triggers below refuse UPDATE,
-- DELETE and TRUNCATE for every role (the owner may drop them deliberately),
-- and the job role of docs/operations.md is granted SELECT and INSERT only.

ALTER TABLE shortfalls
    ADD CONSTRAINT shortfalls_acknowledgement_key UNIQUE (version_id, student_id, mode, minutes);

CREATE TABLE shortfall_acknowledgements (
    version_id      bigint NOT NULL REFERENCES schedule_versions (id),
    student_id      text NOT NULL,
    mode            weekplan_mode NOT NULL,
    minutes         int NOT NULL,
    acknowledged_by text NOT NULL
        CONSTRAINT shortfall_acknowledgements_by_check
            CHECK (btrim(acknowledged_by) <> '' AND char_length(acknowledged_by) <= 100),
    acknowledged_at timestamptz NOT NULL DEFAULT now(),
    note            text NOT NULL DEFAULT ''
        CONSTRAINT shortfall_acknowledgements_note_check CHECK (char_length(note) <= 1000),
    CONSTRAINT shortfall_acknowledgements_key PRIMARY KEY (version_id, student_id, mode),
    CONSTRAINT shortfall_acknowledgements_shortfall_fkey
        FOREIGN KEY (version_id, student_id, mode, minutes)
        REFERENCES shortfalls (version_id, student_id, mode, minutes)
);

CREATE FUNCTION weekplan_acknowledgements_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'shortfall acknowledgements are an audit trail: % refused', TG_OP
        USING HINT = 'acknowledgements are never changed or removed; acknowledge a new version instead';
END
$$;

CREATE TRIGGER shortfall_acknowledgements_no_change
    BEFORE UPDATE OR DELETE ON shortfall_acknowledgements
    FOR EACH ROW EXECUTE FUNCTION weekplan_acknowledgements_append_only();
CREATE TRIGGER shortfall_acknowledgements_no_truncate
    BEFORE TRUNCATE ON shortfall_acknowledgements
    FOR EACH STATEMENT EXECUTE FUNCTION weekplan_acknowledgements_append_only();

-- The audit trail as people read it: one row per acknowledged shortfall, with
-- the school, week and version it belongs to and the shortfall's reason.
CREATE VIEW shortfall_acknowledgement_log AS
SELECT w.school_id, w.week_start, v.version, a.student_id, a.mode, a.minutes, f.reason,
       a.acknowledged_by, a.acknowledged_at, a.note
FROM shortfall_acknowledgements a
JOIN schedule_versions v ON v.id = a.version_id
JOIN weeks w ON w.id = v.week_id
JOIN shortfalls f ON (f.version_id, f.student_id, f.mode) = (a.version_id, a.student_id, a.mode);
