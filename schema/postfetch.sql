-- postfetch database schema: the one entry point for installing and upgrading.
--
--   psql -v ON_ERROR_STOP=1 -d DATABASE -f postfetch.sql
--
-- In an empty database it creates schema "postfetch" and everything in it;
-- in an older one it applies the migrations it lacks; in a current one it
-- changes nothing. Each migration in migrations/ runs at most once, in its
-- own transaction, and is recorded in postfetch.schema_version. Concurrent
-- runs wait for each other on an advisory lock. Do not run it with psql -1
-- (--single-transaction): each migration commits on its own.
--
-- To add a migration: write migrations/NNNN_name.sql (plain DDL, no
-- BEGIN/COMMIT, fully qualified names), add three lines at the end of the
-- list below and raise schema_latest, and DB_SCHEMA_VERSION in
-- common/db.h with it (postfetch refuses any other version).

\set ON_ERROR_STOP on
\set QUIET on
SET client_min_messages = warning;

-- SQL-standard function bodies need PostgreSQL 14 or later.
DO $$
BEGIN
	IF current_setting('server_version_num')::integer < 140000 THEN
		RAISE EXCEPTION 'postfetch needs PostgreSQL 14 or later, this is %',
		    current_setting('server_version');
	END IF;
END
$$;

-- The newest migration this file knows.
\set schema_latest 7

-- Held until psql exits, so a second run waits here and then finds the
-- work done. 8101821198434137187 is 'postfetc' in ASCII.
SELECT pg_advisory_lock(8101821198434137187) \gset pf_lock_

-- The version table; the rest of its setup is in migration 0001. Skipped
-- when it exists, so that a run with nothing to do changes nothing.
SELECT to_regclass('postfetch.schema_version') IS NULL AS pf_fresh \gset
\if :pf_fresh
BEGIN;
CREATE SCHEMA IF NOT EXISTS postfetch;
CREATE TABLE postfetch.schema_version (
	version		integer PRIMARY KEY,
	name		text NOT NULL,
	applied_at	timestamptz NOT NULL DEFAULT now(),
	applied_by	text NOT NULL DEFAULT current_user
);
COMMIT;
\endif

-- Refuse to run an older postfetch.sql against a newer database.
SELECT set_config('postfetch.schema_latest', :'schema_latest', false) \gset pf_
DO $$
DECLARE
	current	integer;
	latest	integer := current_setting('postfetch.schema_latest')::integer;
BEGIN
	SELECT coalesce(max(version), 0) INTO current
	    FROM postfetch.schema_version;
	IF current > latest THEN
		RAISE EXCEPTION 'the database is at postfetch schema version %, newer than this postfetch.sql (version %)',
		    current, latest
		    USING HINT = 'Use the postfetch.sql of the newer release.';
	END IF;
END
$$;

-- The migrations, in order.
\set migration_version 1
\set migration_file migrations/0001_initial.sql
\ir apply-migration.sql

\set migration_version 2
\set migration_file migrations/0002_engine.sql
\ir apply-migration.sql

\set migration_version 3
\set migration_file migrations/0003_imap.sql
\ir apply-migration.sql

\set migration_version 4
\set migration_file migrations/0004_version_grant.sql
\ir apply-migration.sql

\set migration_version 5
\set migration_file migrations/0005_daemon.sql
\ir apply-migration.sql

\set migration_version 6
\set migration_file migrations/0006_schedule.sql
\ir apply-migration.sql

\set migration_version 7
\set migration_file migrations/0007_relay.sql
\ir apply-migration.sql

SELECT max(version) AS pf_version FROM postfetch.schema_version \gset
\echo postfetch schema version :pf_version
