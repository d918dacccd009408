-- Migration 0006: account schedules (issue 9): the days and times of day
-- at which an account may be polled. Applied by postfetch.sql inside one
-- transaction.

-- Whether a text is a schedule that the fetcher's parser accepts
-- (common/schedule.c; tests/unit/schedule_cases.txt holds the cases both
-- tests check): entries separated by commas, each a day or a range of
-- days (mon..sun, any case; fri-mon wraps) then one or more windows
-- HH:MM-HH:MM (00:00 to 23:59, and 24:00 as an end) after white space;
-- or "always"; or nothing but spaces and tabs (always). The patterns
-- spell each letter's two cases rather than use ~*, whose case folding
-- depends on the database's locale.
CREATE FUNCTION postfetch.schedule_valid(schedule text) RETURNS boolean
    LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
DECLARE
	day	constant text := '([Mm][Oo][Nn]|[Tt][Uu][Ee]|[Ww][Ee][Dd]'
	    '|[Tt][Hh][Uu]|[Ff][Rr][Ii]|[Ss][Aa][Tt]|[Ss][Uu][Nn])';
	clock	constant text := '([01][0-9]|2[0-3]):[0-5][0-9]';
	span	constant text := clock || '-(' || clock || '|24:00)';
	entry	constant text := day || '(-' || day || ')?([ \t]+' || span
	    || ')+';
BEGIN
	RETURN schedule ~ ('^[ \t]*([Aa][Ll][Ww][Aa][Yy][Ss]|' || entry
	    || '([ \t]*,[ \t]*' || entry || ')*)?[ \t]*$');
END
$$;

COMMENT ON FUNCTION postfetch.schedule_valid(text) IS
    'Whether the text is a schedule: "mon-fri 07:00-19:00, sat 08:00-12:00", "always" or empty (postfetch-sql(7))';

ALTER TABLE postfetch.account ADD COLUMN schedule text
    CONSTRAINT account_schedule_valid
	CHECK (postfetch.schedule_valid(schedule));

COMMENT ON COLUMN postfetch.account.schedule IS
    'When the account may be polled, in the fetcher host''s local time: "mon-fri 07:00-19:00, sat 08:00-12:00"; "always" or empty: at any time; NULL: default_schedule of postfetch.conf; poll_now and postfetch poll NAME ignore it';

-- Like the other functions of the schema: not for PUBLIC. An UPDATE of
-- account by the fetcher re-evaluates the CHECK, which calls it.
REVOKE ALL ON FUNCTION postfetch.schedule_valid(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION postfetch.schedule_valid(text) TO postfetch_fetcher;

-- The daemon hears of a changed schedule at once (migration 0005's trigger,
-- with schedule among its columns).
DROP TRIGGER account_notify_poll ON postfetch.account;
CREATE TRIGGER account_notify_poll
    AFTER INSERT
	OR UPDATE OF host, port, tls, tls_verify, tls_fingerprint, username,
	    password, auth, protocol, folders, domain, active, poll_interval,
	    poll_requested, schedule
	OR DELETE
    ON postfetch.account
    FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_poll();

-- tls = detect now means TLS or an error from the first poll on (issue 10):
-- tls_seen is a record, no longer a rule.
COMMENT ON COLUMN postfetch.account.tls_seen IS
    'TLS was negotiated with this account at least once (a record; tls = detect requires TLS anyway)';
