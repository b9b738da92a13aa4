-- A price's createdAt is when it was set (its first revision's created_at) and its updatedAt when
-- it last changed: the current revision's updated_at, the moment it was recorded (by a create or a
-- PATCH) or last given an end (by a DELETE). Rows so far were last written when they were inserted,
-- or ended by the next revision; their insert is the closest record of that.
alter table prices add column updated_at timestamptz;
update prices set updated_at = created_at;
alter table prices alter column updated_at set not null, alter column updated_at set default now();
