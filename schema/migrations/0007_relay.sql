-- Migration 0007: outgoing mail through each account's provider (issue
-- 13). An account may name its provider's SMTP server and the envelope
-- senders that leave through it; Postfix relays their mail there,
-- authenticated, with its own sender_dependent_relayhost_maps,
-- smtp_sasl_password_maps and smtp_tls_policy_maps over pgsql: lookups of
-- the views below (contrib/postfix-relay/, postfetch-relay(7)). Also "POP
-- before SMTP": the mailbox login refreshed often enough. Applied by
-- postfetch.sql inside one transaction.

-- The outgoing server of an account ----------------------------------------

ALTER TABLE postfetch.account
    ADD COLUMN smtp_host text
	-- written into Postfix's "[host]:port" next hops: a host name or
	-- an IPv4 address, nothing that could end or join a map value
	CONSTRAINT account_smtp_host_valid
	    CHECK (postfetch.valid_domain(smtp_host)),
    ADD COLUMN smtp_port integer
	CONSTRAINT account_smtp_port_range
	    CHECK (smtp_port BETWEEN 1 AND 65535),
    ADD COLUMN smtp_tls text NOT NULL DEFAULT 'starttls'
	CONSTRAINT account_smtp_tls_valid
	    CHECK (smtp_tls IN ('direct', 'starttls', 'disable')),
    ADD COLUMN smtp_auth boolean NOT NULL DEFAULT true,
    ADD COLUMN smtp_username text
	-- Postfix's SASL password table holds "user:password": the first
	-- colon ends the user name
	CONSTRAINT account_smtp_username_valid
	    CHECK (smtp_username ~ '^[^:[:cntrl:]]+$'),
    ADD COLUMN smtp_password text
	CONSTRAINT account_smtp_password_valid
	    CHECK (smtp_password ~ '^[^[:cntrl:]]+$'),
    ADD COLUMN pop_before_smtp interval
	CONSTRAINT account_pop_before_smtp_positive
	    CHECK (pop_before_smtp > interval '0'),
    ADD CONSTRAINT account_smtp_needs_host
	CHECK (smtp_host IS NOT NULL OR (smtp_port IS NULL
	    AND smtp_username IS NULL AND smtp_password IS NULL)),
    -- the fetch credentials stand in for missing SMTP ones: the pair that
    -- Postfix gets must exist and fit "user:password"
    ADD CONSTRAINT account_smtp_auth_credentials
	CHECK (smtp_host IS NULL OR NOT smtp_auth
	    OR coalesce(coalesce(smtp_username, username) ~ '^[^:[:cntrl:]]+$'
		AND coalesce(smtp_password, password) ~ '^[^[:cntrl:]]+$',
		false)),
    -- credentials never cross an unencrypted link to the relay
    ADD CONSTRAINT account_smtp_auth_needs_tls
	CHECK (NOT (smtp_auth AND smtp_tls = 'disable')),
    -- a mailbox login: ETRN logs in to nothing
    ADD CONSTRAINT account_pop_before_smtp_mailbox
	CHECK (pop_before_smtp IS NULL OR protocol <> 'etrn');

COMMENT ON COLUMN postfetch.account.smtp_host IS
    'The provider''s SMTP server for mail sent from the account''s addresses (postfetch.account_sender); NULL: no outgoing relay';
COMMENT ON COLUMN postfetch.account.smtp_port IS
    'Port of smtp_host; NULL: 465 for smtp_tls = direct, else 587';
COMMENT ON COLUMN postfetch.account.smtp_tls IS
    'direct: TLS from the first byte (port 465); starttls: STARTTLS required; disable: plain text (only without smtp_auth)';
COMMENT ON COLUMN postfetch.account.smtp_auth IS
    'Whether Postfix authenticates (SASL PLAIN/LOGIN, over TLS only) to smtp_host';
COMMENT ON COLUMN postfetch.account.smtp_username IS
    'SASL user name at smtp_host; NULL: username';
COMMENT ON COLUMN postfetch.account.smtp_password IS
    'SASL password at smtp_host; NULL: password';
COMMENT ON COLUMN postfetch.account.pop_before_smtp IS
    'POP before SMTP: the daemon logs in to the mailbox at least this often (it caps poll_interval), inside the schedule only; NULL: off';
COMMENT ON CONSTRAINT account_smtp_host_valid ON postfetch.account IS
    'smtp_host is a host name or IPv4 address';
COMMENT ON CONSTRAINT account_smtp_port_range ON postfetch.account IS
    'smtp_port is a TCP port';
COMMENT ON CONSTRAINT account_smtp_tls_valid ON postfetch.account IS
    'smtp_tls is direct, starttls or disable';
COMMENT ON CONSTRAINT account_smtp_username_valid ON postfetch.account IS
    'smtp_username is not empty and has no colon or control character';
COMMENT ON CONSTRAINT account_smtp_password_valid ON postfetch.account IS
    'smtp_password is not empty and has no control character';
COMMENT ON CONSTRAINT account_pop_before_smtp_positive ON postfetch.account IS
    'pop_before_smtp is a positive interval';
COMMENT ON CONSTRAINT account_smtp_needs_host ON postfetch.account IS
    'smtp_port, smtp_username and smtp_password need smtp_host';
COMMENT ON CONSTRAINT account_smtp_auth_credentials ON postfetch.account IS
    'With smtp_auth, a user name without colon and a password exist (the smtp_ ones or the fetch ones)';
COMMENT ON CONSTRAINT account_smtp_auth_needs_tls ON postfetch.account IS
    'smtp_auth needs smtp_tls direct or starttls';
COMMENT ON CONSTRAINT account_pop_before_smtp_mailbox ON postfetch.account IS
    'pop_before_smtp needs a mailbox (pop3 or imap)';

-- The senders of an account ----------------------------------------------

CREATE TABLE postfetch.account_sender (
	account_id	bigint NOT NULL
	    REFERENCES postfetch.account ON DELETE CASCADE,
	address		text NOT NULL
	    CONSTRAINT account_sender_address_valid
		CHECK (postfetch.valid_address(address)
		    OR (left(address, 1) = '@'
			AND postfetch.valid_domain(substr(address, 2)))),
	PRIMARY KEY (account_id, address)
);

-- One way out per sender; also the index of Postfix's lookups.
CREATE UNIQUE INDEX account_sender_unique
    ON postfetch.account_sender (lower(address));

COMMENT ON TABLE postfetch.account_sender IS
    'Envelope senders (address, or @domain for the whole domain) whose mail Postfix relays through the account''s smtp_host';
COMMENT ON COLUMN postfetch.account_sender.account_id IS
    'The account whose smtp_host the sender''s mail leaves through';
COMMENT ON COLUMN postfetch.account_sender.address IS
    'An envelope sender local@domain, or @domain; case-insensitive, unique over all accounts';
COMMENT ON CONSTRAINT account_sender_address_valid ON postfetch.account_sender IS
    'address is local@domain or @domain';

-- What Postfix reads ------------------------------------------------------

-- The outgoing server of every active account that has one, as Postfix
-- names it: the next hop "[host]:port" (brackets: no MX lookup); the
-- transport "smtp" or, for implicit TLS, the master.cf service
-- postfetch-smtps (smtp_tls_wrappermode = yes); the TLS security level
-- and how strict it is (1 strictest). Not for Postfix itself: the three
-- views below show it what it needs.
CREATE VIEW postfetch.relay AS
    SELECT id AS account_id,
	   '[' || lower(smtp_host) || ']:' || coalesce(smtp_port,
	       CASE smtp_tls WHEN 'direct' THEN 465 ELSE 587 END) AS relayhost,
	   CASE smtp_tls WHEN 'direct' THEN 'postfetch-smtps' ELSE 'smtp'
	       END AS transport,
	   CASE WHEN smtp_tls = 'disable' THEN 'none'
	       WHEN tls_verify THEN 'secure' ELSE 'encrypt' END AS policy,
	   CASE WHEN smtp_tls = 'disable' THEN 3
	       WHEN tls_verify THEN 1 ELSE 2 END AS strictness,
	   CASE WHEN smtp_auth THEN coalesce(smtp_username, username) || ':'
	       || coalesce(smtp_password, password) END AS credentials
      FROM postfetch.account
     WHERE active AND smtp_host IS NOT NULL;

COMMENT ON VIEW postfetch.relay IS
    'The outgoing server of each active account that has one, as Postfix names it (the source of relay_sender, relay_password, relay_tls)';
COMMENT ON COLUMN postfetch.relay.account_id IS 'The account';
COMMENT ON COLUMN postfetch.relay.relayhost IS
    'Next hop "[smtp_host]:port"';
COMMENT ON COLUMN postfetch.relay.transport IS
    'smtp, or postfetch-smtps for smtp_tls = direct (master.cf, smtp_tls_wrappermode = yes)';
COMMENT ON COLUMN postfetch.relay.policy IS
    'TLS security level: secure (tls_verify), encrypt (tls_verify off) or none (smtp_tls = disable)';
COMMENT ON COLUMN postfetch.relay.strictness IS
    'Order of policy: 1 secure, 2 encrypt, 3 none';
COMMENT ON COLUMN postfetch.relay.credentials IS
    '"user:password" for SASL, NULL without smtp_auth';

CREATE VIEW postfetch.relay_sender AS
    SELECT lower(s.address) AS sender, r.relayhost,
	   r.transport || ':' || r.relayhost AS transport
      FROM postfetch.account_sender s
      JOIN postfetch.relay r USING (account_id);

COMMENT ON VIEW postfetch.relay_sender IS
    'Per sender: the relay and transport Postfix uses (sender_dependent_relayhost_maps, sender_dependent_default_transport_maps)';
COMMENT ON COLUMN postfetch.relay_sender.sender IS
    'Envelope sender in lower case: local@domain or @domain';
COMMENT ON COLUMN postfetch.relay_sender.relayhost IS
    'Next hop "[smtp_host]:port"';
COMMENT ON COLUMN postfetch.relay_sender.transport IS
    '"smtp:[smtp_host]:port", or "postfetch-smtps:[smtp_host]:port" for smtp_tls = direct';

CREATE VIEW postfetch.relay_password AS
    SELECT lower(s.address) AS sender, r.credentials
      FROM postfetch.account_sender s
      JOIN postfetch.relay r USING (account_id)
     WHERE r.credentials IS NOT NULL;

COMMENT ON VIEW postfetch.relay_password IS
    'Per sender: "user:password" for smtp_sasl_password_maps (smtp_sender_dependent_authentication = yes)';
COMMENT ON COLUMN postfetch.relay_password.sender IS
    'Envelope sender in lower case, as in relay_sender';
COMMENT ON COLUMN postfetch.relay_password.credentials IS
    'smtp_username (or username), a colon, smtp_password (or password)';

-- One answer per key: the strictest level any account through the relay
-- asks for.
CREATE VIEW postfetch.relay_tls AS
    SELECT relayhost, (array_agg(policy ORDER BY strictness))[1] AS policy
      FROM postfetch.relay
     GROUP BY relayhost;

COMMENT ON VIEW postfetch.relay_tls IS
    'Per relay: the TLS security level for smtp_tls_policy_maps (the strictest of its accounts)';
COMMENT ON COLUMN postfetch.relay_tls.relayhost IS
    'Next hop "[smtp_host]:port", as in relay_sender';
COMMENT ON COLUMN postfetch.relay_tls.policy IS
    'secure, encrypt or none, as in relay';

-- The role of Postfix's lookups: the three views, nothing else. Roles
-- belong to the cluster: another database may have made it.
DO $$
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_roles
	    WHERE rolname = 'postfetch_postfix') THEN
		BEGIN
			CREATE ROLE postfetch_postfix NOLOGIN;
			COMMENT ON ROLE postfetch_postfix IS
			    'Postfix pgsql: lookups: reads the relay views (relay_sender, relay_password, relay_tls)';
		EXCEPTION WHEN duplicate_object OR unique_violation THEN
			NULL;	-- made concurrently by a run on another database
		END;
	END IF;
END
$$;

REVOKE ALL ON postfetch.account_sender, postfetch.relay, postfetch.relay_sender,
    postfetch.relay_password, postfetch.relay_tls FROM PUBLIC;
GRANT USAGE ON SCHEMA postfetch TO postfetch_postfix;
GRANT SELECT ON postfetch.relay_sender, postfetch.relay_password,
    postfetch.relay_tls TO postfetch_postfix;

-- The check on insert or change (migration 0005) covers the outgoing
-- server too; the daemon hears of a changed pop_before_smtp at once.
DROP TRIGGER account_request_check_update ON postfetch.account;
CREATE TRIGGER account_request_check_update
    BEFORE UPDATE OF host, port, tls, tls_verify, tls_fingerprint, username,
	password, auth, protocol, folders, domain, active, smtp_host,
	smtp_port, smtp_tls, smtp_auth, smtp_username, smtp_password
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
	OR (NEW.active AND NOT OLD.active)
	OR OLD.smtp_host IS DISTINCT FROM NEW.smtp_host
	OR OLD.smtp_port IS DISTINCT FROM NEW.smtp_port
	OR OLD.smtp_tls IS DISTINCT FROM NEW.smtp_tls
	OR OLD.smtp_auth IS DISTINCT FROM NEW.smtp_auth
	OR OLD.smtp_username IS DISTINCT FROM NEW.smtp_username
	OR OLD.smtp_password IS DISTINCT FROM NEW.smtp_password)
    EXECUTE FUNCTION postfetch.request_check();

DROP TRIGGER account_notify_poll ON postfetch.account;
CREATE TRIGGER account_notify_poll
    AFTER INSERT
	OR UPDATE OF host, port, tls, tls_verify, tls_fingerprint, username,
	    password, auth, protocol, folders, domain, active, poll_interval,
	    poll_requested, schedule, smtp_host, smtp_port, smtp_tls,
	    smtp_auth, smtp_username, smtp_password, pop_before_smtp
	OR DELETE
    ON postfetch.account
    FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_poll();
