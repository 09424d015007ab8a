-- Reverts 0001_init.up.sql. Destroys every week and schedule: for development only.
DROP TABLE IF EXISTS shortfalls, unplaced, placements, schedule_sessions, schedule_versions,
    pins, last_week, student_goals, student_interests, student_progress, student_apart,
    student_min_minutes, student_unavailable, students, teacher_unavailable, teacher_subjects,
    teachers, room_unavailable, room_modes, rooms, skills, slots, week_policy, weeks, schools;
DROP DOMAIN IF EXISTS weekplan_mode;
