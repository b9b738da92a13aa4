-- River (github.com/riverqueue/river v0.51.2) migration 1, "create river migration": River's own schema SQL, run
-- by our migrations so test templates and deployments carry it (River supports outside migration
-- systems). TestRiverMigrationsAreTheLibrarys keeps these files equal to the library's.
CREATE TABLE river_migration(
  id bigserial PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT NOW(),
  version bigint NOT NULL,
  CONSTRAINT version CHECK (version >= 1)
);

CREATE UNIQUE INDEX ON river_migration USING btree(version);
