-- weekplan schema, version 2: the daemon's record of its cron ticks.
--
-- One row per (time zone, cron spec): the fire time of the last tick that ran
-- to completion. On start, a daemon compares it with the schedule and runs a
-- tick missed while no daemon was up (docs/operations.md, "Catch-up"). Any
-- number of daemons share the table; a fire time only ever moves forward.
CREATE TABLE daemon_ticks (
    zone       text NOT NULL CHECK (zone <> ''),
    spec       text NOT NULL CHECK (spec <> ''),
    last_fire  timestamptz NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (zone, spec)
);
