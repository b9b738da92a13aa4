-- River (github.com/riverqueue/river v0.51.2) migration 3, "river job tags non null": River's own schema SQL, run
-- by our migrations so test templates and deployments carry it (River supports outside migration
-- systems). TestRiverMigrationsAreTheLibrarys keeps these files equal to the library's.
ALTER TABLE river_job ALTER COLUMN tags SET DEFAULT '{}';
UPDATE river_job SET tags = '{}' WHERE tags IS NULL;
ALTER TABLE river_job ALTER COLUMN tags SET NOT NULL;
