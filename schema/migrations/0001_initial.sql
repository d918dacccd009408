-- Migration 0001: accounts, aliases, local recipients, the seen/skipped
-- index, the poll log, the status view, the change notifications and the
-- two group roles. Applied by postfetch.sql inside one transaction.

-- The schema and its version table exist (postfetch.sql made them).
REVOKE ALL ON SCHEMA postfetch FROM PUBLIC;
COMMENT ON SCHEMA postfetch IS
    'postfetch: mail collection accounts, aliases and logs (see postfetch-sql(7))';
COMMENT ON TABLE postfetch.schema_version IS
    'Migrations applied by postfetch.sql, one row each';

-- Validity checks used by the CHECK constraints -----------------------------

-- A host name as the DNS knows it: dot-separated labels of letters, digits
-- and '-' (not at either end of a label), at most 253 characters, ASCII
-- only (internationalised names in their xn-- form).
CREATE FUNCTION postfetch.valid_domain(domain text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN length(domain) <= 253
	AND domain ~ '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$';

COMMENT ON FUNCTION postfetch.valid_domain(text) IS
    'Whether the text is a domain name of dot-separated labels';

-- An envelope address local@domain, safe to pass to sendmail as an
-- argument: at most 254 characters, exactly one '@', a local part of at
-- most 64 characters of RFC 5322 atext (and non-ASCII characters from
-- U+00A1 up) joined by single dots, not starting with '-'; no ASCII white
-- space, quotes or control characters anywhere. A subset of what
-- address_valid() in common/address.c accepts (no quoted local parts).
CREATE FUNCTION postfetch.valid_address(address text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN length(address) <= 254
	AND address ~ '^[^@]+@[^@]+$'
	AND length(split_part(address, '@', 1)) <= 64
	AND split_part(address, '@', 1) ~ '^[A-Za-z0-9!#$%&''*+/=?^_`{|}~\u00a1-\U0010ffff][A-Za-z0-9!#$%&''*+/=?^_`{|}~\u00a1-\U0010ffff-]*(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~\u00a1-\U0010ffff-]+)*$'
	AND postfetch.valid_domain(split_part(address, '@', 2));

COMMENT ON FUNCTION postfetch.valid_address(text) IS
    'Whether the text is an envelope address local@domain safe to pass to sendmail';

-- Accounts ------------------------------------------------------------------

CREATE TABLE postfetch.account (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	name		text NOT NULL
	    CONSTRAINT account_name_unique UNIQUE
	    CONSTRAINT account_name_valid
		-- written into a mail header and passed as an argument to
		-- token_command: never an option
		CHECK (name ~ '^[A-Za-z0-9._@+][A-Za-z0-9._@+-]{0,63}$'),
	active		boolean NOT NULL DEFAULT true,
	protocol	text NOT NULL
	    CONSTRAINT account_protocol_valid
		CHECK (protocol IN ('pop3', 'imap', 'etrn')),
	host		text NOT NULL
	    CONSTRAINT account_host_valid
		CHECK (host ~ '^[^[:space:][:cntrl:]]{1,255}$'),
	port		integer
	    CONSTRAINT account_port_range CHECK (port BETWEEN 1 AND 65535),
	tls		text NOT NULL DEFAULT 'detect'
	    CONSTRAINT account_tls_valid
		CHECK (tls IN ('detect', 'direct', 'starttls', 'disable')),
	tls_verify	boolean NOT NULL DEFAULT true,
	tls_fingerprint	text
	    CONSTRAINT account_tls_fingerprint_valid
		CHECK (tls_fingerprint ~ '^[0-9a-f]{64}$'),
	username	text
	    CONSTRAINT account_username_valid CHECK (username <> ''),
	password	text,
	auth		text NOT NULL DEFAULT 'any'
	    CONSTRAINT account_auth_valid
		CHECK (auth IN ('any', 'password', 'apop', 'cram-md5', 'plain',
		    'login', 'xoauth2')),
	keep		boolean NOT NULL DEFAULT false,
	folders		text[] NOT NULL DEFAULT '{INBOX}'
	    CONSTRAINT account_folders_valid
		CHECK (cardinality(folders) >= 1
		    AND array_position(folders, NULL) IS NULL
		    AND array_position(folders, '') IS NULL),
	deliver_to	text
	    CONSTRAINT account_deliver_to_valid
		CHECK (postfetch.valid_address(deliver_to)),
	fallback	text
	    CONSTRAINT account_fallback_valid
		CHECK (postfetch.valid_address(fallback)),
	domain		text
	    CONSTRAINT account_domain_valid
		CHECK (postfetch.valid_domain(domain)),
	poll_interval	interval NOT NULL DEFAULT '5 min'
	    CONSTRAINT account_poll_interval_positive
		CHECK (poll_interval > interval '0'),
	max_size	bigint
	    CONSTRAINT account_max_size_positive CHECK (max_size > 0),

	-- Maintained by the fetcher.
	tls_seen	boolean NOT NULL DEFAULT false,
	last_poll_start	timestamptz,
	last_poll_end	timestamptz,
	last_result	text
	    CONSTRAINT account_last_result_valid
		CHECK (last_result IN ('ok', 'failed')),
	last_error	text,
	next_poll	timestamptz,
	consecutive_failures integer NOT NULL DEFAULT 0,
	messages_total	bigint NOT NULL DEFAULT 0,
	lease_owner	text,
	lease_until	timestamptz,

	CONSTRAINT account_etrn_needs_domain
	    CHECK (protocol <> 'etrn' OR domain IS NOT NULL),
	CONSTRAINT account_mailbox_needs_username
	    CHECK (protocol = 'etrn' OR username IS NOT NULL),
	CONSTRAINT account_mailbox_needs_password
	    CHECK (protocol = 'etrn' OR auth = 'xoauth2' OR password IS NOT NULL)
);

-- The milter finds the account of SMTP mail by recipient domain, which
-- must therefore name one ETRN account only.
CREATE UNIQUE INDEX account_etrn_domain_unique
    ON postfetch.account (lower(domain)) WHERE protocol = 'etrn';

COMMENT ON TABLE postfetch.account IS
    'One remote mailbox (POP3, IMAP) or ETRN domain to collect mail from';
COMMENT ON COLUMN postfetch.account.tls_fingerprint IS
    'SHA-256 of the server certificate (64 lower-case hex digits): accept only that certificate';
COMMENT ON COLUMN postfetch.account.tls_seen IS
    'Set by the fetcher once TLS was negotiated: tls = detect then requires it';
COMMENT ON COLUMN postfetch.account.lease_owner IS
    'The fetcher (host/pid) polling this account now, until lease_until';

-- Aliases and local recipients ---------------------------------------------

CREATE TABLE postfetch.alias (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	bigint NOT NULL
	    REFERENCES postfetch.account ON DELETE CASCADE,
	remote		text NOT NULL
	    CONSTRAINT alias_remote_valid
		CHECK (postfetch.valid_address(remote)
		    OR (left(remote, 1) = '@'
			AND postfetch.valid_domain(substr(remote, 2)))),
	local		text NOT NULL
	    CONSTRAINT alias_local_valid CHECK (postfetch.valid_address(local))
);

-- Also the index of the milter's lookup by (account_id, lower(remote)).
CREATE UNIQUE INDEX alias_unique
    ON postfetch.alias (account_id, lower(remote), lower(local));

COMMENT ON TABLE postfetch.alias IS
    'Per account: remote address (or @domain catch-all) -> local address; one remote may have several rows';

CREATE TABLE postfetch.local_recipient (
	address		text PRIMARY KEY
	    CONSTRAINT local_recipient_address_valid
		CHECK (postfetch.valid_address(address))
);

CREATE UNIQUE INDEX local_recipient_address_unique
    ON postfetch.local_recipient (lower(address));

COMMENT ON TABLE postfetch.local_recipient IS
    'Addresses that exist locally: the milter keeps these recipients';

-- What was fetched, what was left on purpose, and the poll log --------------

CREATE TABLE postfetch.seen (
	account_id	bigint NOT NULL
	    REFERENCES postfetch.account ON DELETE CASCADE,
	folder		text NOT NULL DEFAULT '',
	uidvalidity	bigint NOT NULL DEFAULT 0
	    CONSTRAINT seen_uidvalidity_range
		CHECK (uidvalidity BETWEEN 0 AND 4294967295),
	uid		text NOT NULL
	    CONSTRAINT seen_uid_valid CHECK (length(uid) BETWEEN 1 AND 70),
	fetched_at	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, folder, uidvalidity, uid)
);

COMMENT ON TABLE postfetch.seen IS
    'UIDs already delivered, per account and folder (POP3: folder '''' and uidvalidity 0)';

CREATE TABLE postfetch.skipped (
	account_id	bigint NOT NULL
	    REFERENCES postfetch.account ON DELETE CASCADE,
	folder		text NOT NULL DEFAULT '',
	uidvalidity	bigint NOT NULL DEFAULT 0
	    CONSTRAINT skipped_uidvalidity_range
		CHECK (uidvalidity BETWEEN 0 AND 4294967295),
	uid		text NOT NULL
	    CONSTRAINT skipped_uid_valid CHECK (length(uid) BETWEEN 1 AND 70),
	size		bigint
	    CONSTRAINT skipped_size_valid CHECK (size >= 0),
	reason		text,
	first_seen	timestamptz NOT NULL DEFAULT now(),
	PRIMARY KEY (account_id, folder, uidvalidity, uid)
);

COMMENT ON TABLE postfetch.skipped IS
    'Messages left on the server on purpose (e.g. larger than max_size), logged once';

CREATE TABLE postfetch.poll (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	account_id	bigint NOT NULL
	    REFERENCES postfetch.account ON DELETE CASCADE,
	poller		text,
	started		timestamptz NOT NULL DEFAULT now(),
	ended		timestamptz,
	messages	integer NOT NULL DEFAULT 0
	    CONSTRAINT poll_messages_valid CHECK (messages >= 0),
	bytes		bigint NOT NULL DEFAULT 0
	    CONSTRAINT poll_bytes_valid CHECK (bytes >= 0),
	error		text
);

CREATE INDEX poll_account_started ON postfetch.poll (account_id, started DESC);

COMMENT ON TABLE postfetch.poll IS
    'One row per poll of an account: when, by whom, how much, and the error if it failed';

-- Monitoring ----------------------------------------------------------------

CREATE VIEW postfetch.account_status AS
    SELECT name, protocol, host, active, last_poll_end, last_result,
	   last_error, messages_total, next_poll, consecutive_failures
      FROM postfetch.account;

COMMENT ON VIEW postfetch.account_status IS
    'One row per account: the outcome of its last poll and when the next is due';

-- Change notifications for the milter's cache -------------------------------

-- NOTIFY postfetch_config with the table name as the payload.
CREATE FUNCTION postfetch.notify_config() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_notify('postfetch_config', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

CREATE TRIGGER alias_notify_config
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON postfetch.alias
    FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_config();

CREATE TRIGGER local_recipient_notify_config
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON postfetch.local_recipient
    FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_config();

-- Only the columns the milter reads: the fetcher updates the status
-- columns at every poll, which must not empty the milter's cache.
CREATE TRIGGER account_notify_config
    AFTER INSERT
	OR UPDATE OF name, active, protocol, deliver_to, domain, fallback
	OR DELETE OR TRUNCATE
    ON postfetch.account
    FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_config();

-- A new mailbox forgets the old one's index -------------------------------

-- When the host, port, user name or protocol of an account changes, its
-- UIDs mean other messages: keeping the seen index would skip (and
-- delete) messages never fetched. Fetching again may deliver twice; it
-- never loses mail. An admin who only renames the host of the same
-- mailbox keeps the index with SET LOCAL postfetch.keep_seen = on.
CREATE FUNCTION postfetch.forget_seen() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
	IF coalesce(current_setting('postfetch.keep_seen', true), '') = 'on' THEN
		RETURN NULL;
	END IF;
	DELETE FROM postfetch.seen WHERE account_id = NEW.id;
	DELETE FROM postfetch.skipped WHERE account_id = NEW.id;
	UPDATE postfetch.account SET tls_seen = false WHERE id = NEW.id;
	RETURN NULL;
END
$$;

CREATE TRIGGER account_forget_seen
    AFTER UPDATE OF host, port, username, protocol ON postfetch.account
    FOR EACH ROW
    WHEN (OLD.host IS DISTINCT FROM NEW.host
	OR OLD.port IS DISTINCT FROM NEW.port
	OR OLD.username IS DISTINCT FROM NEW.username
	OR OLD.protocol IS DISTINCT FROM NEW.protocol)
    EXECUTE FUNCTION postfetch.forget_seen();

-- Privileges ----------------------------------------------------------------

-- Roles belong to the whole cluster: another database may have made them.
-- Creating (and commenting) them needs CREATEROLE; reusing them does not.
DO $$
DECLARE
	role	text;
	purpose	text;
BEGIN
	FOR role, purpose IN VALUES
	    ('postfetch_fetcher', 'postfetch: reads accounts, writes their status, seen, skipped and poll'),
	    ('postfetch_milter', 'postfetch-milter: reads aliases, local recipients and account routing columns')
	LOOP
		CONTINUE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = role);
		BEGIN
			EXECUTE format('CREATE ROLE %I NOLOGIN', role);
			EXECUTE format('COMMENT ON ROLE %I IS %L', role, purpose);
		EXCEPTION WHEN duplicate_object OR unique_violation THEN
			NULL;	-- made concurrently by a run on another database
		END;
	END LOOP;
END
$$;

REVOKE ALL ON ALL TABLES IN SCHEMA postfetch FROM PUBLIC;
REVOKE ALL ON ALL SEQUENCES IN SCHEMA postfetch FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA postfetch FROM PUBLIC;

GRANT USAGE ON SCHEMA postfetch TO postfetch_fetcher, postfetch_milter;

GRANT SELECT ON postfetch.account TO postfetch_fetcher;
GRANT UPDATE (tls_seen, last_poll_start, last_poll_end, last_result,
    last_error, next_poll, consecutive_failures, messages_total,
    lease_owner, lease_until) ON postfetch.account TO postfetch_fetcher;
GRANT SELECT, INSERT, DELETE ON postfetch.seen, postfetch.skipped
    TO postfetch_fetcher;
GRANT SELECT, INSERT, UPDATE ON postfetch.poll TO postfetch_fetcher;
-- An UPDATE of account re-evaluates its CHECK constraints, which call these.
GRANT EXECUTE ON FUNCTION postfetch.valid_address(text),
    postfetch.valid_domain(text) TO postfetch_fetcher;

GRANT SELECT ON postfetch.alias, postfetch.local_recipient TO postfetch_milter;
-- deliver_to: the milter keeps the single-drop recipient of a fetched message.
GRANT SELECT (id, name, active, protocol, deliver_to, domain, fallback)
    ON postfetch.account TO postfetch_milter;
