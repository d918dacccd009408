-- Included by postfetch.sql once per migration; not meant to be run alone.
-- Applies :migration_file (relative to this directory) in one transaction
-- and records :migration_version, unless that version is already recorded.

\if :{?migration_version}
\else
\echo 'apply-migration.sql: run postfetch.sql instead'
\quit
\endif

SELECT NOT EXISTS (SELECT 1 FROM postfetch.schema_version
		    WHERE version = :migration_version) AS pf_migration_needed \gset
\if :pf_migration_needed
BEGIN;
\ir :migration_file
INSERT INTO postfetch.schema_version (version, name)
    VALUES (:migration_version,
	    regexp_replace(:'migration_file', '^.*/|\.sql$', '', 'g'));
COMMIT;
\echo postfetch schema: applied :migration_file
\endif
