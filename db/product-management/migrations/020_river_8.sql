-- River (github.com/riverqueue/river v0.51.2) migration 8, "job id autoincrement": River's own schema SQL, run
-- by our migrations so test templates and deployments carry it (River supports outside migration
-- systems). TestRiverMigrationsAreTheLibrarys keeps these files equal to the library's.
-- No-op. Postgres sequences already prevent automatically generated job IDs
-- from being reused.
SELECT 1;

-- Record the versions as River's migrator does, so rivermigrate sees them applied.
insert into river_migration (line, version) select 'main', v from generate_series(1, 8) v on conflict do nothing;
