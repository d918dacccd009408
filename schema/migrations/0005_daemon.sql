-- Migration 0005: what the daemon (postfetch run) needs (issue 9): "poll
-- now" and "check now" requests, and their notifications. Applied by
-- postfetch.sql inside one transaction.

-- Requests ----------------------------------------------------------------

-- Set by postfetch.poll_now(): the daemon polls the account at once,
-- whatever its next_poll and schedule say.
ALTER TABLE postfetch.account ADD COLUMN poll_requested boolean NOT NULL
    DEFAULT false;

COMMENT ON COLUMN postfetch.account.poll_requested IS
    'Set by postfetch.poll_now(name): the daemon polls the account at once; cleared when the poll starts';

-- Set when an account is inserted or its connection settings change: the
-- daemon checks it at once (connect, TLS, login, count, as postfetch check
-- does) and writes the outcome into last_result and last_error.
ALTER TABLE postfetch.account ADD COLUMN check_requested boolean NOT NULL
    DEFAULT false;

COMMENT ON COLUMN postfetch.account.check_requested IS
    'Set when the account is inserted or its connection settings change: the daemon checks it at once and writes last_result and last_error; cleared when the check starts';

CREATE FUNCTION postfetch.request_check() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
	NEW.check_requested := true;
	RETURN NEW;
END
$$;

CREATE TRIGGER account_request_check_insert
    BEFORE INSERT ON postfetch.account
    FOR EACH ROW EXECUTE FUNCTION postfetch.request_check();

CREATE TRIGGER account_request_check_update
    BEFORE UPDATE OF host, port, tls, tls_verify, tls_fingerprint, username,
	password, auth, protocol, folders, domain, active
    ON postfetch.account
    FOR EACH ROW
    WHEN (OLD.host IS DISTINCT FROM NEW.host
	OR OLD.port IS DISTINCT FROM NEW.port
	OR OLD.tls IS DISTINCT FROM NEW.tls
	OR OLD.tls_verify IS DISTINCT FROM NEW.tls_verify
	OR OLD.tls_fingerprint IS DISTINCT FROM NEW.tls_fingerprint
	OR OLD.username IS DISTINCT FROM NEW.username
	OR OLD.password IS DISTINCT FROM NEW.password
	OR OLD.auth IS DISTINCT FROM NEW.auth
	OR OLD.protocol IS DISTINCT FROM NEW.protocol
	OR OLD.folders IS DISTINCT FROM NEW.folders
	OR OLD.domain IS DISTINCT FROM NEW.domain
	OR (NEW.active AND NOT OLD.active))
    EXECUTE FUNCTION postfetch.request_check();

-- The daemon LISTENs on postfetch_poll: any change of the accounts that
-- may make one due (not the status columns the fetcher writes itself).
CREATE FUNCTION postfetch.notify_poll() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
	PERFORM pg_notify('postfetch_poll', TG_TABLE_NAME);
	RETURN NULL;
END
$$;

CREATE TRIGGER account_notify_poll
    AFTER INSERT
	OR UPDATE OF host, port, tls, tls_verify, tls_fingerprint, username,
	    password, auth, protocol, folders, domain, active, poll_interval,
	    poll_requested
	OR DELETE
    ON postfetch.account
    FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_poll();

-- "Connect now": SELECT postfetch.poll_now('name'). False if there is no
-- such active account.
CREATE FUNCTION postfetch.poll_now(account_name text) RETURNS boolean
    LANGUAGE plpgsql
AS $$
BEGIN
	UPDATE postfetch.account SET poll_requested = true
	 WHERE name = account_name AND active;
	RETURN FOUND;
END
$$;

COMMENT ON FUNCTION postfetch.poll_now(text) IS
    'Ask the daemon to poll the named active account at once; false if there is none';

REVOKE ALL ON FUNCTION postfetch.request_check(), postfetch.notify_poll(),
    postfetch.poll_now(text) FROM PUBLIC;

-- The fetcher clears the requests when it starts on them.
GRANT UPDATE (poll_requested, check_requested) ON postfetch.account
    TO postfetch_fetcher;
