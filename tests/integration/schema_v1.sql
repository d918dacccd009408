-- The first release's database, kept to test upgrades (schema_upgrade.t):
-- never regenerate or edit it. Made once with pg_dump --no-owner (15.18)
-- of a database created by schema/postfetch.sql at version 1 (commit
-- d8cc131, the last before migration 0002), with accounts of the three
-- protocols, aliases, local recipients, seen, skipped and poll rows. The
-- group roles postfetch_fetcher and postfetch_milter must exist before it
-- is loaded.
--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SELECT pg_catalog.set_config('search_path', '', false);
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: postfetch; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA postfetch;


--
-- Name: SCHEMA postfetch; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA postfetch IS 'postfetch: mail collection accounts, aliases and logs (see postfetch-sql(7))';


--
-- Name: forget_seen(); Type: FUNCTION; Schema: postfetch; Owner: -
--

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


--
-- Name: notify_config(); Type: FUNCTION; Schema: postfetch; Owner: -
--

CREATE FUNCTION postfetch.notify_config() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
	PERFORM pg_notify('postfetch_config', TG_TABLE_NAME);
	RETURN NULL;
END
$$;


--
-- Name: valid_domain(text); Type: FUNCTION; Schema: postfetch; Owner: -
--

CREATE FUNCTION postfetch.valid_domain(domain text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ((length(domain) <= 253) AND (domain ~ '^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$'::text));


--
-- Name: FUNCTION valid_domain(domain text); Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON FUNCTION postfetch.valid_domain(domain text) IS 'Whether the text is a domain name of dot-separated labels';


--
-- Name: valid_address(text); Type: FUNCTION; Schema: postfetch; Owner: -
--

CREATE FUNCTION postfetch.valid_address(address text) RETURNS boolean
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ((length(address) <= 254) AND (address ~ '^[^@]+@[^@]+$'::text) AND (length(split_part(address, '@'::text, 1)) <= 64) AND (split_part(address, '@'::text, 1) ~ '^[A-Za-z0-9!#$%&''*+/=?^_`{|}~\u00a1-\U0010ffff][A-Za-z0-9!#$%&''*+/=?^_`{|}~\u00a1-\U0010ffff-]*(\.[A-Za-z0-9!#$%&''*+/=?^_`{|}~\u00a1-\U0010ffff-]+)*$'::text) AND postfetch.valid_domain(split_part(address, '@'::text, 2)));


--
-- Name: FUNCTION valid_address(address text); Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON FUNCTION postfetch.valid_address(address text) IS 'Whether the text is an envelope address local@domain safe to pass to sendmail';


SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: account; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.account (
    id bigint NOT NULL,
    name text NOT NULL,
    active boolean DEFAULT true NOT NULL,
    protocol text NOT NULL,
    host text NOT NULL,
    port integer,
    tls text DEFAULT 'detect'::text NOT NULL,
    tls_verify boolean DEFAULT true NOT NULL,
    tls_fingerprint text,
    username text,
    password text,
    auth text DEFAULT 'any'::text NOT NULL,
    keep boolean DEFAULT false NOT NULL,
    folders text[] DEFAULT '{INBOX}'::text[] NOT NULL,
    deliver_to text,
    fallback text,
    domain text,
    poll_interval interval DEFAULT '00:05:00'::interval NOT NULL,
    max_size bigint,
    tls_seen boolean DEFAULT false NOT NULL,
    last_poll_start timestamp with time zone,
    last_poll_end timestamp with time zone,
    last_result text,
    last_error text,
    next_poll timestamp with time zone,
    consecutive_failures integer DEFAULT 0 NOT NULL,
    messages_total bigint DEFAULT 0 NOT NULL,
    lease_owner text,
    lease_until timestamp with time zone,
    CONSTRAINT account_auth_valid CHECK ((auth = ANY (ARRAY['any'::text, 'password'::text, 'apop'::text, 'cram-md5'::text, 'plain'::text, 'login'::text, 'xoauth2'::text]))),
    CONSTRAINT account_deliver_to_valid CHECK (postfetch.valid_address(deliver_to)),
    CONSTRAINT account_domain_valid CHECK (postfetch.valid_domain(domain)),
    CONSTRAINT account_etrn_needs_domain CHECK (((protocol <> 'etrn'::text) OR (domain IS NOT NULL))),
    CONSTRAINT account_fallback_valid CHECK (postfetch.valid_address(fallback)),
    CONSTRAINT account_folders_valid CHECK (((cardinality(folders) >= 1) AND (array_position(folders, NULL::text) IS NULL) AND (array_position(folders, ''::text) IS NULL))),
    CONSTRAINT account_host_valid CHECK ((host ~ '^[^[:space:][:cntrl:]]{1,255}$'::text)),
    CONSTRAINT account_last_result_valid CHECK ((last_result = ANY (ARRAY['ok'::text, 'failed'::text]))),
    CONSTRAINT account_mailbox_needs_password CHECK (((protocol = 'etrn'::text) OR (auth = 'xoauth2'::text) OR (password IS NOT NULL))),
    CONSTRAINT account_mailbox_needs_username CHECK (((protocol = 'etrn'::text) OR (username IS NOT NULL))),
    CONSTRAINT account_max_size_positive CHECK ((max_size > 0)),
    CONSTRAINT account_name_valid CHECK ((name ~ '^[A-Za-z0-9._@+][A-Za-z0-9._@+-]{0,63}$'::text)),
    CONSTRAINT account_poll_interval_positive CHECK ((poll_interval > '00:00:00'::interval)),
    CONSTRAINT account_port_range CHECK (((port >= 1) AND (port <= 65535))),
    CONSTRAINT account_protocol_valid CHECK ((protocol = ANY (ARRAY['pop3'::text, 'imap'::text, 'etrn'::text]))),
    CONSTRAINT account_tls_fingerprint_valid CHECK ((tls_fingerprint ~ '^[0-9a-f]{64}$'::text)),
    CONSTRAINT account_tls_valid CHECK ((tls = ANY (ARRAY['detect'::text, 'direct'::text, 'starttls'::text, 'disable'::text]))),
    CONSTRAINT account_username_valid CHECK ((username <> ''::text))
);


--
-- Name: TABLE account; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.account IS 'One remote mailbox (POP3, IMAP) or ETRN domain to collect mail from';


--
-- Name: COLUMN account.tls_fingerprint; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON COLUMN postfetch.account.tls_fingerprint IS 'SHA-256 of the server certificate (64 lower-case hex digits): accept only that certificate';


--
-- Name: COLUMN account.tls_seen; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON COLUMN postfetch.account.tls_seen IS 'Set by the fetcher once TLS was negotiated: tls = detect then requires it';


--
-- Name: COLUMN account.lease_owner; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON COLUMN postfetch.account.lease_owner IS 'The fetcher (host/pid) polling this account now, until lease_until';


--
-- Name: account_id_seq; Type: SEQUENCE; Schema: postfetch; Owner: -
--

ALTER TABLE postfetch.account ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME postfetch.account_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: account_status; Type: VIEW; Schema: postfetch; Owner: -
--

CREATE VIEW postfetch.account_status AS
 SELECT account.name,
    account.protocol,
    account.host,
    account.active,
    account.last_poll_end,
    account.last_result,
    account.last_error,
    account.messages_total,
    account.next_poll,
    account.consecutive_failures
   FROM postfetch.account;


--
-- Name: VIEW account_status; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON VIEW postfetch.account_status IS 'One row per account: the outcome of its last poll and when the next is due';


--
-- Name: alias; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.alias (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    remote text NOT NULL,
    local text NOT NULL,
    CONSTRAINT alias_local_valid CHECK (postfetch.valid_address(local)),
    CONSTRAINT alias_remote_valid CHECK ((postfetch.valid_address(remote) OR (("left"(remote, 1) = '@'::text) AND postfetch.valid_domain(substr(remote, 2)))))
);


--
-- Name: TABLE alias; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.alias IS 'Per account: remote address (or @domain catch-all) -> local address; one remote may have several rows';


--
-- Name: alias_id_seq; Type: SEQUENCE; Schema: postfetch; Owner: -
--

ALTER TABLE postfetch.alias ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME postfetch.alias_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: local_recipient; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.local_recipient (
    address text NOT NULL,
    CONSTRAINT local_recipient_address_valid CHECK (postfetch.valid_address(address))
);


--
-- Name: TABLE local_recipient; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.local_recipient IS 'Addresses that exist locally: the milter keeps these recipients';


--
-- Name: poll; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.poll (
    id bigint NOT NULL,
    account_id bigint NOT NULL,
    poller text,
    started timestamp with time zone DEFAULT now() NOT NULL,
    ended timestamp with time zone,
    messages integer DEFAULT 0 NOT NULL,
    bytes bigint DEFAULT 0 NOT NULL,
    error text,
    CONSTRAINT poll_bytes_valid CHECK ((bytes >= 0)),
    CONSTRAINT poll_messages_valid CHECK ((messages >= 0))
);


--
-- Name: TABLE poll; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.poll IS 'One row per poll of an account: when, by whom, how much, and the error if it failed';


--
-- Name: poll_id_seq; Type: SEQUENCE; Schema: postfetch; Owner: -
--

ALTER TABLE postfetch.poll ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY (
    SEQUENCE NAME postfetch.poll_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
);


--
-- Name: schema_version; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.schema_version (
    version integer NOT NULL,
    name text NOT NULL,
    applied_at timestamp with time zone DEFAULT now() NOT NULL,
    applied_by text DEFAULT CURRENT_USER NOT NULL
);


--
-- Name: TABLE schema_version; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.schema_version IS 'Migrations applied by postfetch.sql, one row each';


--
-- Name: seen; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.seen (
    account_id bigint NOT NULL,
    folder text DEFAULT ''::text NOT NULL,
    uidvalidity bigint DEFAULT 0 NOT NULL,
    uid text NOT NULL,
    fetched_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT seen_uid_valid CHECK (((length(uid) >= 1) AND (length(uid) <= 70))),
    CONSTRAINT seen_uidvalidity_range CHECK (((uidvalidity >= 0) AND (uidvalidity <= '4294967295'::bigint)))
);


--
-- Name: TABLE seen; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.seen IS 'UIDs already delivered, per account and folder (POP3: folder '''' and uidvalidity 0)';


--
-- Name: skipped; Type: TABLE; Schema: postfetch; Owner: -
--

CREATE TABLE postfetch.skipped (
    account_id bigint NOT NULL,
    folder text DEFAULT ''::text NOT NULL,
    uidvalidity bigint DEFAULT 0 NOT NULL,
    uid text NOT NULL,
    size bigint,
    reason text,
    first_seen timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT skipped_size_valid CHECK ((size >= 0)),
    CONSTRAINT skipped_uid_valid CHECK (((length(uid) >= 1) AND (length(uid) <= 70))),
    CONSTRAINT skipped_uidvalidity_range CHECK (((uidvalidity >= 0) AND (uidvalidity <= '4294967295'::bigint)))
);


--
-- Name: TABLE skipped; Type: COMMENT; Schema: postfetch; Owner: -
--

COMMENT ON TABLE postfetch.skipped IS 'Messages left on the server on purpose (e.g. larger than max_size), logged once';


--
-- Data for Name: account; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.account (id, name, active, protocol, host, port, tls, tls_verify, tls_fingerprint, username, password, auth, keep, folders, deliver_to, fallback, domain, poll_interval, max_size, tls_seen, last_poll_start, last_poll_end, last_result, last_error, next_poll, consecutive_failures, messages_total, lease_owner, lease_until) FROM stdin;
2	team	t	imap	imap.provider.example	\N	detect	t	\N	team@provider.example	pa55	plain	t	{INBOX,Archive}	\N	postmaster@example.com	\N	00:05:00	\N	f	\N	\N	\N	\N	\N	0	0	\N	\N
3	queue	f	etrn	mx.provider.example	\N	detect	t	\N	\N	\N	any	f	{INBOX}	\N	\N	example.org	00:05:00	\N	f	\N	\N	\N	\N	\N	0	0	\N	\N
1	shop	t	pop3	pop.provider.example	995	direct	t	\N	shop	s3cret	any	f	{INBOX}	orders@example.com	\N	\N	00:02:00	\N	f	2026-01-15 10:00:00+00	2026-01-15 10:00:02+00	ok	\N	\N	0	3	\N	\N
\.


--
-- Data for Name: alias; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.alias (id, account_id, remote, local) FROM stdin;
1	2	p.maly@provider.example	pavel.maly@example.com
2	2	sales@provider.example	anna@example.com
3	2	sales@provider.example	bob@example.com
4	2	@provider.example	inbox@example.com
\.


--
-- Data for Name: local_recipient; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.local_recipient (address) FROM stdin;
pavel.maly@example.com
anna@example.com
bob@example.com
orders@example.com
\.


--
-- Data for Name: poll; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.poll (id, account_id, poller, started, ended, messages, bytes, error) FROM stdin;
1	1	mail1:4242	2026-01-15 10:00:00+00	2026-01-15 10:00:02+00	3	123456	\N
2	2	mail1:4243	2026-01-15 10:05:00+00	2026-01-15 10:05:09+00	0	0	imap.provider.example: login refused
\.


--
-- Data for Name: schema_version; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.schema_version (version, name, applied_at, applied_by) FROM stdin;
1	0001_initial	2026-01-10 09:00:00+00	postgres
\.


--
-- Data for Name: seen; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.seen (account_id, folder, uidvalidity, uid, fetched_at) FROM stdin;
1		0	000001a1	2026-01-15 10:00:00+00
1		0	000001a2	2026-01-15 10:00:00+00
1		0	000001a3	2026-01-15 10:00:00+00
2	INBOX	1700000000	17	2026-01-15 10:05:00+00
2	INBOX	1700000000	18	2026-01-15 10:05:00+00
2	Archive	1700000000	4	2026-01-15 10:05:00+00
\.


--
-- Data for Name: skipped; Type: TABLE DATA; Schema: postfetch; Owner: -
--

COPY postfetch.skipped (account_id, folder, uidvalidity, uid, size, reason, first_seen) FROM stdin;
1		0	000001a4	104857600	larger than max_size	2026-01-15 10:00:01+00
\.


--
-- Name: account_id_seq; Type: SEQUENCE SET; Schema: postfetch; Owner: -
--

SELECT pg_catalog.setval('postfetch.account_id_seq', 3, true);


--
-- Name: alias_id_seq; Type: SEQUENCE SET; Schema: postfetch; Owner: -
--

SELECT pg_catalog.setval('postfetch.alias_id_seq', 4, true);


--
-- Name: poll_id_seq; Type: SEQUENCE SET; Schema: postfetch; Owner: -
--

SELECT pg_catalog.setval('postfetch.poll_id_seq', 2, true);


--
-- Name: account account_name_unique; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.account
    ADD CONSTRAINT account_name_unique UNIQUE (name);


--
-- Name: account account_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.account
    ADD CONSTRAINT account_pkey PRIMARY KEY (id);


--
-- Name: alias alias_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.alias
    ADD CONSTRAINT alias_pkey PRIMARY KEY (id);


--
-- Name: local_recipient local_recipient_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.local_recipient
    ADD CONSTRAINT local_recipient_pkey PRIMARY KEY (address);


--
-- Name: poll poll_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.poll
    ADD CONSTRAINT poll_pkey PRIMARY KEY (id);


--
-- Name: schema_version schema_version_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.schema_version
    ADD CONSTRAINT schema_version_pkey PRIMARY KEY (version);


--
-- Name: seen seen_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.seen
    ADD CONSTRAINT seen_pkey PRIMARY KEY (account_id, folder, uidvalidity, uid);


--
-- Name: skipped skipped_pkey; Type: CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.skipped
    ADD CONSTRAINT skipped_pkey PRIMARY KEY (account_id, folder, uidvalidity, uid);


--
-- Name: account_etrn_domain_unique; Type: INDEX; Schema: postfetch; Owner: -
--

CREATE UNIQUE INDEX account_etrn_domain_unique ON postfetch.account USING btree (lower(domain)) WHERE (protocol = 'etrn'::text);


--
-- Name: alias_unique; Type: INDEX; Schema: postfetch; Owner: -
--

CREATE UNIQUE INDEX alias_unique ON postfetch.alias USING btree (account_id, lower(remote), lower(local));


--
-- Name: local_recipient_address_unique; Type: INDEX; Schema: postfetch; Owner: -
--

CREATE UNIQUE INDEX local_recipient_address_unique ON postfetch.local_recipient USING btree (lower(address));


--
-- Name: poll_account_started; Type: INDEX; Schema: postfetch; Owner: -
--

CREATE INDEX poll_account_started ON postfetch.poll USING btree (account_id, started DESC);


--
-- Name: account account_forget_seen; Type: TRIGGER; Schema: postfetch; Owner: -
--

CREATE TRIGGER account_forget_seen AFTER UPDATE OF host, port, username, protocol ON postfetch.account FOR EACH ROW WHEN (((old.host IS DISTINCT FROM new.host) OR (old.port IS DISTINCT FROM new.port) OR (old.username IS DISTINCT FROM new.username) OR (old.protocol IS DISTINCT FROM new.protocol))) EXECUTE FUNCTION postfetch.forget_seen();


--
-- Name: account account_notify_config; Type: TRIGGER; Schema: postfetch; Owner: -
--

CREATE TRIGGER account_notify_config AFTER INSERT OR DELETE OR UPDATE OF name, active, protocol, deliver_to, domain, fallback OR TRUNCATE ON postfetch.account FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_config();


--
-- Name: alias alias_notify_config; Type: TRIGGER; Schema: postfetch; Owner: -
--

CREATE TRIGGER alias_notify_config AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON postfetch.alias FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_config();


--
-- Name: local_recipient local_recipient_notify_config; Type: TRIGGER; Schema: postfetch; Owner: -
--

CREATE TRIGGER local_recipient_notify_config AFTER INSERT OR DELETE OR UPDATE OR TRUNCATE ON postfetch.local_recipient FOR EACH STATEMENT EXECUTE FUNCTION postfetch.notify_config();


--
-- Name: alias alias_account_id_fkey; Type: FK CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.alias
    ADD CONSTRAINT alias_account_id_fkey FOREIGN KEY (account_id) REFERENCES postfetch.account(id) ON DELETE CASCADE;


--
-- Name: poll poll_account_id_fkey; Type: FK CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.poll
    ADD CONSTRAINT poll_account_id_fkey FOREIGN KEY (account_id) REFERENCES postfetch.account(id) ON DELETE CASCADE;


--
-- Name: seen seen_account_id_fkey; Type: FK CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.seen
    ADD CONSTRAINT seen_account_id_fkey FOREIGN KEY (account_id) REFERENCES postfetch.account(id) ON DELETE CASCADE;


--
-- Name: skipped skipped_account_id_fkey; Type: FK CONSTRAINT; Schema: postfetch; Owner: -
--

ALTER TABLE ONLY postfetch.skipped
    ADD CONSTRAINT skipped_account_id_fkey FOREIGN KEY (account_id) REFERENCES postfetch.account(id) ON DELETE CASCADE;


--
-- Name: SCHEMA postfetch; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA postfetch TO postfetch_fetcher;
GRANT USAGE ON SCHEMA postfetch TO postfetch_milter;


--
-- Name: FUNCTION forget_seen(); Type: ACL; Schema: postfetch; Owner: -
--

REVOKE ALL ON FUNCTION postfetch.forget_seen() FROM PUBLIC;


--
-- Name: FUNCTION notify_config(); Type: ACL; Schema: postfetch; Owner: -
--

REVOKE ALL ON FUNCTION postfetch.notify_config() FROM PUBLIC;


--
-- Name: FUNCTION valid_domain(domain text); Type: ACL; Schema: postfetch; Owner: -
--

REVOKE ALL ON FUNCTION postfetch.valid_domain(domain text) FROM PUBLIC;
GRANT ALL ON FUNCTION postfetch.valid_domain(domain text) TO postfetch_fetcher;


--
-- Name: FUNCTION valid_address(address text); Type: ACL; Schema: postfetch; Owner: -
--

REVOKE ALL ON FUNCTION postfetch.valid_address(address text) FROM PUBLIC;
GRANT ALL ON FUNCTION postfetch.valid_address(address text) TO postfetch_fetcher;


--
-- Name: TABLE account; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.id; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(id) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.name; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(name) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.active; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(active) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.protocol; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(protocol) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.deliver_to; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(deliver_to) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.fallback; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(fallback) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.domain; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT(domain) ON TABLE postfetch.account TO postfetch_milter;


--
-- Name: COLUMN account.tls_seen; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(tls_seen) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.last_poll_start; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(last_poll_start) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.last_poll_end; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(last_poll_end) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.last_result; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(last_result) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.last_error; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(last_error) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.next_poll; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(next_poll) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.consecutive_failures; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(consecutive_failures) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.messages_total; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(messages_total) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.lease_owner; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(lease_owner) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: COLUMN account.lease_until; Type: ACL; Schema: postfetch; Owner: -
--

GRANT UPDATE(lease_until) ON TABLE postfetch.account TO postfetch_fetcher;


--
-- Name: TABLE alias; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT ON TABLE postfetch.alias TO postfetch_milter;


--
-- Name: TABLE local_recipient; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT ON TABLE postfetch.local_recipient TO postfetch_milter;


--
-- Name: TABLE poll; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE postfetch.poll TO postfetch_fetcher;


--
-- Name: TABLE seen; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT,INSERT,DELETE ON TABLE postfetch.seen TO postfetch_fetcher;


--
-- Name: TABLE skipped; Type: ACL; Schema: postfetch; Owner: -
--

GRANT SELECT,INSERT,DELETE ON TABLE postfetch.skipped TO postfetch_fetcher;


--
-- PostgreSQL database dump complete
--


