-- weekplan schema, version 1.
--
-- Input data is stored as one self-contained snapshot per (school, week): every
-- input table is keyed by week_id, and importing a week again replaces that
-- week's rows in one transaction. Slot, skill, room, teacher and student ids are
-- therefore unique within a week, not across weeks, and a school may change its
-- rooms or staff from one week to the next without touching earlier weeks.
--
-- Schedules are stored as numbered versions of a week. They keep the ids they
-- were computed with as plain text, not as foreign keys into the input tables,
-- so that re-importing a week never rewrites or removes an earlier version.
--
-- Ordered lists of the instance format (slots, rooms, students, unavailable
-- slots, ...) carry a pos column so that a week reads back in the order it was
-- imported.
--
-- Floating-point CHECKs are written as closed ranges on purpose: in PostgreSQL
-- 'NaN'::float8 is greater than every other value, so "x <= 1" rejects NaN and
-- "x < 'Infinity'" rejects both NaN and infinity.

CREATE DOMAIN weekplan_mode AS text
    CHECK (VALUE IN ('small_group', 'tutoring', 'independent'));

CREATE TABLE schools (
    id         text PRIMARY KEY CHECK (id <> ''),
    name       text NOT NULL DEFAULT '',
    timezone   text NOT NULL DEFAULT '',
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- weeks holds one row per imported (school, week). The school's name and time
-- zone are kept as imported with the week, so that a week reads back exactly;
-- schools holds the latest of them.
CREATE TABLE weeks (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    school_id       text NOT NULL REFERENCES schools (id),
    week_start      date NOT NULL,
    school_name     text NOT NULL DEFAULT '',
    school_timezone text NOT NULL DEFAULT '',
    input_hash      text NOT NULL,
    imported_at     timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT weeks_school_week_key UNIQUE (school_id, week_start)
);

CREATE TABLE week_policy (
    week_id bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    key     text NOT NULL CHECK (key <> ''),
    value   float8 NOT NULL
        CONSTRAINT week_policy_value_finite CHECK (value > '-Infinity' AND value < 'Infinity'),
    PRIMARY KEY (week_id, key)
);

CREATE TABLE slots (
    week_id bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    id      text NOT NULL CHECK (id <> ''),
    pos     int NOT NULL,
    day     text NOT NULL,
    start   text NOT NULL,
    minutes int NOT NULL CONSTRAINT slots_minutes_nonnegative CHECK (minutes >= 0),
    PRIMARY KEY (week_id, id),
    UNIQUE (week_id, pos)
);

CREATE TABLE skills (
    week_id bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    id      text NOT NULL CHECK (id <> ''),
    pos     int NOT NULL,
    subject text NOT NULL,
    name    text NOT NULL DEFAULT '',
    seq     int NOT NULL,
    PRIMARY KEY (week_id, id),
    UNIQUE (week_id, pos)
);

CREATE TABLE rooms (
    week_id    bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    id         text NOT NULL CHECK (id <> ''),
    pos        int NOT NULL,
    name       text NOT NULL DEFAULT '',
    capacity   int NOT NULL CONSTRAINT rooms_capacity_nonnegative CHECK (capacity >= 0),
    stations   int CONSTRAINT rooms_stations_nonnegative CHECK (stations >= 0), -- NULL: default 1
    accessible boolean NOT NULL DEFAULT false,
    topic      text NOT NULL DEFAULT '',
    PRIMARY KEY (week_id, id),
    UNIQUE (week_id, pos)
);

CREATE TABLE room_modes (
    week_id bigint NOT NULL,
    room_id text NOT NULL,
    pos     int NOT NULL,
    mode    weekplan_mode NOT NULL,
    PRIMARY KEY (week_id, room_id, mode),
    FOREIGN KEY (week_id, room_id) REFERENCES rooms (week_id, id) ON DELETE CASCADE
);

CREATE TABLE room_unavailable (
    week_id bigint NOT NULL,
    room_id text NOT NULL,
    slot_id text NOT NULL,
    pos     int NOT NULL,
    PRIMARY KEY (week_id, room_id, slot_id),
    FOREIGN KEY (week_id, room_id) REFERENCES rooms (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, slot_id) REFERENCES slots (week_id, id) ON DELETE CASCADE
);
CREATE INDEX room_unavailable_slot_idx ON room_unavailable (week_id, slot_id);

CREATE TABLE teachers (
    week_id      bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    id           text NOT NULL CHECK (id <> ''),
    pos          int NOT NULL,
    name         text NOT NULL DEFAULT '',
    max_sessions int CONSTRAINT teachers_max_sessions_nonnegative CHECK (max_sessions >= 0), -- NULL: number of slots
    PRIMARY KEY (week_id, id),
    UNIQUE (week_id, pos)
);

CREATE TABLE teacher_subjects (
    week_id    bigint NOT NULL,
    teacher_id text NOT NULL,
    subject    text NOT NULL CHECK (subject <> ''),
    pos        int NOT NULL,
    PRIMARY KEY (week_id, teacher_id, subject),
    FOREIGN KEY (week_id, teacher_id) REFERENCES teachers (week_id, id) ON DELETE CASCADE
);

CREATE TABLE teacher_unavailable (
    week_id    bigint NOT NULL,
    teacher_id text NOT NULL,
    slot_id    text NOT NULL,
    pos        int NOT NULL,
    PRIMARY KEY (week_id, teacher_id, slot_id),
    FOREIGN KEY (week_id, teacher_id) REFERENCES teachers (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, slot_id) REFERENCES slots (week_id, id) ON DELETE CASCADE
);
CREATE INDEX teacher_unavailable_slot_idx ON teacher_unavailable (week_id, slot_id);

CREATE TABLE students (
    week_id          bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    id               text NOT NULL CHECK (id <> ''),
    pos              int NOT NULL,
    name             text NOT NULL DEFAULT '',
    grade            int NOT NULL DEFAULT 0,
    priority         float8 -- NULL: default 1.0
        CONSTRAINT students_priority_finite CHECK (priority > '-Infinity' AND priority < 'Infinity'),
    needs_accessible boolean NOT NULL DEFAULT false,
    max_group_size   int CONSTRAINT students_max_group_size_nonnegative CHECK (max_group_size >= 0), -- NULL: none
    PRIMARY KEY (week_id, id),
    UNIQUE (week_id, pos)
);

CREATE TABLE student_unavailable (
    week_id    bigint NOT NULL,
    student_id text NOT NULL,
    slot_id    text NOT NULL,
    pos        int NOT NULL,
    PRIMARY KEY (week_id, student_id, slot_id),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, slot_id) REFERENCES slots (week_id, id) ON DELETE CASCADE
);
CREATE INDEX student_unavailable_slot_idx ON student_unavailable (week_id, slot_id);

CREATE TABLE student_min_minutes (
    week_id    bigint NOT NULL,
    student_id text NOT NULL,
    mode       weekplan_mode NOT NULL,
    minutes    int NOT NULL CONSTRAINT student_min_minutes_nonnegative CHECK (minutes >= 0),
    PRIMARY KEY (week_id, student_id, mode),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE
);

CREATE TABLE student_apart (
    week_id    bigint NOT NULL,
    student_id text NOT NULL,
    other_id   text NOT NULL,
    pos        int NOT NULL,
    PRIMARY KEY (week_id, student_id, other_id),
    CONSTRAINT student_apart_not_self CHECK (student_id <> other_id),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, other_id) REFERENCES students (week_id, id) ON DELETE CASCADE
);
CREATE INDEX student_apart_other_idx ON student_apart (week_id, other_id);

CREATE TABLE student_progress (
    week_id    bigint NOT NULL,
    student_id text NOT NULL,
    skill_id   text NOT NULL,
    mastery    float8 NOT NULL
        CONSTRAINT student_progress_mastery_range CHECK (mastery >= 0 AND mastery <= 1),
    PRIMARY KEY (week_id, student_id, skill_id),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, skill_id) REFERENCES skills (week_id, id) ON DELETE CASCADE
);
CREATE INDEX student_progress_skill_idx ON student_progress (week_id, skill_id);

-- An interest is keyed by a subject or a room topic; neither has a table of its
-- own, so the key is not a foreign key.
CREATE TABLE student_interests (
    week_id    bigint NOT NULL,
    student_id text NOT NULL,
    key        text NOT NULL CHECK (key <> ''),
    weight     float8 NOT NULL
        CONSTRAINT student_interests_weight_range CHECK (weight >= 0 AND weight <= 1),
    PRIMARY KEY (week_id, student_id, key),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE
);

CREATE TABLE student_goals (
    week_id    bigint NOT NULL,
    student_id text NOT NULL,
    skill_id   text NOT NULL,
    pos        int NOT NULL,
    PRIMARY KEY (week_id, student_id, skill_id),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, skill_id) REFERENCES skills (week_id, id) ON DELETE CASCADE
);
CREATE INDEX student_goals_skill_idx ON student_goals (week_id, skill_id);

-- last_week and pins may hold several rows for one student-slot, so their key
-- is the position in the instance. Optional ids are NULL when absent.
CREATE TABLE last_week (
    week_id    bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    pos        int NOT NULL,
    student_id text NOT NULL,
    slot_id    text NOT NULL,
    mode       weekplan_mode NOT NULL,
    teacher_id text,
    room_id    text,
    skill_id   text,
    PRIMARY KEY (week_id, pos),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, slot_id) REFERENCES slots (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, teacher_id) REFERENCES teachers (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, room_id) REFERENCES rooms (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, skill_id) REFERENCES skills (week_id, id) ON DELETE CASCADE
);
CREATE INDEX last_week_student_idx ON last_week (week_id, student_id);
CREATE INDEX last_week_slot_idx ON last_week (week_id, slot_id);
CREATE INDEX last_week_teacher_idx ON last_week (week_id, teacher_id);
CREATE INDEX last_week_room_idx ON last_week (week_id, room_id);
CREATE INDEX last_week_skill_idx ON last_week (week_id, skill_id);

CREATE TABLE pins (
    week_id    bigint NOT NULL REFERENCES weeks (id) ON DELETE CASCADE,
    pos        int NOT NULL,
    student_id text NOT NULL,
    slot_id    text NOT NULL,
    mode       weekplan_mode,
    teacher_id text,
    room_id    text,
    skill_id   text,
    PRIMARY KEY (week_id, pos),
    FOREIGN KEY (week_id, student_id) REFERENCES students (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, slot_id) REFERENCES slots (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, teacher_id) REFERENCES teachers (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, room_id) REFERENCES rooms (week_id, id) ON DELETE CASCADE,
    FOREIGN KEY (week_id, skill_id) REFERENCES skills (week_id, id) ON DELETE CASCADE
);
CREATE INDEX pins_student_idx ON pins (week_id, student_id);
CREATE INDEX pins_slot_idx ON pins (week_id, slot_id);
CREATE INDEX pins_teacher_idx ON pins (week_id, teacher_id);
CREATE INDEX pins_room_idx ON pins (week_id, room_id);
CREATE INDEX pins_skill_idx ON pins (week_id, skill_id);

-- schedule_versions numbers the schedules of a week 1, 2, ... At most one
-- version of a week is published. slot_order keeps the week's slot order at the
-- time of saving, so that a version reads back in the same order even after the
-- week is imported again.
CREATE TABLE schedule_versions (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    week_id           bigint NOT NULL REFERENCES weeks (id),
    version           int NOT NULL CHECK (version > 0),
    state             text NOT NULL DEFAULT 'draft'
        CONSTRAINT schedule_versions_state_check CHECK (state IN ('draft', 'published')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    objective         float8 NOT NULL
        CONSTRAINT schedule_versions_objective_finite CHECK (objective > '-Infinity' AND objective < 'Infinity'),
    bound             float8 -- NULL: no proven bound
        CONSTRAINT schedule_versions_bound_finite CHECK (bound > '-Infinity' AND bound < 'Infinity'),
    input_hash        text NOT NULL,
    seed              bigint NOT NULL,
    unplaced_slots    int NOT NULL CHECK (unplaced_slots >= 0),
    shortfall_minutes int NOT NULL CHECK (shortfall_minutes >= 0),
    slot_order        text[] NOT NULL,
    CONSTRAINT schedule_versions_week_version_key UNIQUE (week_id, version)
);
CREATE UNIQUE INDEX schedule_versions_one_published_idx
    ON schedule_versions (week_id) WHERE state = 'published';

-- A session is numbered within its version. The wide unique key is the target
-- of placements' foreign key, which makes a member's placement agree with its
-- session in slot, mode, teacher, room and skill.
CREATE TABLE schedule_sessions (
    version_id bigint NOT NULL REFERENCES schedule_versions (id) ON DELETE CASCADE,
    session_no int NOT NULL,
    slot_id    text NOT NULL CHECK (slot_id <> ''),
    mode       weekplan_mode NOT NULL
        CONSTRAINT schedule_sessions_mode_check CHECK (mode IN ('small_group', 'tutoring')),
    teacher_id text NOT NULL CHECK (teacher_id <> ''),
    room_id    text NOT NULL CHECK (room_id <> ''),
    skill_id   text NOT NULL CHECK (skill_id <> ''),
    PRIMARY KEY (version_id, session_no),
    CONSTRAINT schedule_sessions_teacher_slot_key UNIQUE (version_id, slot_id, teacher_id),
    UNIQUE (version_id, session_no, slot_id, mode, teacher_id, room_id, skill_id)
);

-- placements has one row per placed student-slot: a member of a session, or
-- independent work in a room.
CREATE TABLE placements (
    version_id bigint NOT NULL REFERENCES schedule_versions (id) ON DELETE CASCADE,
    student_id text NOT NULL CHECK (student_id <> ''),
    slot_id    text NOT NULL CHECK (slot_id <> ''),
    mode       weekplan_mode NOT NULL,
    room_id    text NOT NULL CHECK (room_id <> ''),
    session_no int,
    teacher_id text,
    skill_id   text,
    CONSTRAINT placements_student_slot_key PRIMARY KEY (version_id, student_id, slot_id),
    CONSTRAINT placements_session_fields CHECK (
        CASE WHEN mode = 'independent'
            THEN session_no IS NULL AND teacher_id IS NULL AND skill_id IS NULL
            ELSE session_no IS NOT NULL AND teacher_id IS NOT NULL AND skill_id IS NOT NULL
        END),
    CONSTRAINT placements_session_fkey
        FOREIGN KEY (version_id, session_no, slot_id, mode, teacher_id, room_id, skill_id)
        REFERENCES schedule_sessions (version_id, session_no, slot_id, mode, teacher_id, room_id, skill_id)
        ON DELETE CASCADE
);
CREATE INDEX placements_session_idx ON placements (version_id, session_no);

CREATE TABLE unplaced (
    version_id bigint NOT NULL REFERENCES schedule_versions (id) ON DELETE CASCADE,
    student_id text NOT NULL CHECK (student_id <> ''),
    slot_id    text NOT NULL CHECK (slot_id <> ''),
    reason     text NOT NULL,
    CONSTRAINT unplaced_student_slot_key PRIMARY KEY (version_id, student_id, slot_id)
);

CREATE TABLE shortfalls (
    version_id bigint NOT NULL REFERENCES schedule_versions (id) ON DELETE CASCADE,
    student_id text NOT NULL CHECK (student_id <> ''),
    mode       weekplan_mode NOT NULL,
    minutes    int NOT NULL CONSTRAINT shortfalls_minutes_nonnegative CHECK (minutes >= 0),
    reason     text NOT NULL,
    CONSTRAINT shortfalls_student_mode_key PRIMARY KEY (version_id, student_id, mode)
);
