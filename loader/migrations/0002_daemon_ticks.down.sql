-- Reverts 0002_daemon_ticks.up.sql: the daemon forgets its ticks, and its next
-- start records the time without catching up.
DROP TABLE IF EXISTS daemon_ticks;
