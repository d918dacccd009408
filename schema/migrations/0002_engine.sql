-- Migration 0002: what the delivery engine needs (issue 7): the size of
-- each message in the seen index, a generation number of each account's
-- mailbox, and the count of skipped messages in the status view. Applied
-- by postfetch.sql inside one transaction.

-- The size of a seen message --------------------------------------------------

-- The size the server announced when the message was fetched. A message
-- first seen in an earlier poll is deleted only if both its UID and its
-- size still match: a server that reuses a UID must never get an unread
-- message deleted. NULL for rows fetched before this migration.
ALTER TABLE postfetch.seen ADD COLUMN size bigint
    CONSTRAINT seen_size_valid CHECK (size >= 0);

COMMENT ON COLUMN postfetch.seen.size IS
    'Size in bytes the server announced when the message was fetched; NULL for rows from before schema version 2';

-- The generation of an account's mailbox ------------------------------------

-- Raised by the trigger below whenever the account becomes another
-- mailbox. The fetcher reads it with the account and inserts its seen rows
-- only while it is unchanged, locking the account row so that the change
-- waits for the insert or the insert sees the change:
--
--   WITH mailbox AS (SELECT id FROM postfetch.account
--    WHERE id = $1 AND mailbox_generation = $4 FOR SHARE)
--   INSERT INTO postfetch.seen (account_id, folder, uidvalidity, uid, size)
--   SELECT mailbox.id, $2, $3, ... FROM mailbox, unnest(...)
--   ON CONFLICT (...) DO UPDATE SET size = EXCLUDED.size, ...
--
-- so the rows of a poll that was running while the host, port, user name
-- or protocol changed never land in the new mailbox's index.
ALTER TABLE postfetch.account ADD COLUMN mailbox_generation bigint NOT NULL
    DEFAULT 0
    CONSTRAINT account_mailbox_generation_valid
	CHECK (mailbox_generation >= 0);

COMMENT ON COLUMN postfetch.account.mailbox_generation IS
    'Raised whenever the account becomes another mailbox (host, port, username, protocol): seen rows of a poll of the old one are refused';

-- The same function as in 0001, which also raises the generation. The
-- generation stays with postfetch.keep_seen = on: the mailbox is the same.
CREATE OR REPLACE FUNCTION postfetch.forget_seen() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
	IF coalesce(current_setting('postfetch.keep_seen', true), '') = 'on' THEN
		RETURN NULL;
	END IF;
	DELETE FROM postfetch.seen WHERE account_id = NEW.id;
	DELETE FROM postfetch.skipped WHERE account_id = NEW.id;
	UPDATE postfetch.account
	   SET tls_seen = false, mailbox_generation = mailbox_generation + 1
	 WHERE id = NEW.id;
	RETURN NULL;
END
$$;

-- The status view counts what was left on the server on purpose -------------

-- CREATE OR REPLACE VIEW can only append columns: the old ones keep their
-- order.
CREATE OR REPLACE VIEW postfetch.account_status AS
    SELECT a.name, a.protocol, a.host, a.active, a.last_poll_end,
	   a.last_result, a.last_error, a.messages_total, a.next_poll,
	   a.consecutive_failures,
	   (SELECT count(*) FROM postfetch.skipped s
	     WHERE s.account_id = a.id) AS skipped
      FROM postfetch.account a;

COMMENT ON COLUMN postfetch.account_status.skipped IS
    'Messages of the account left on the server on purpose (postfetch.skipped: larger than max_size or Postfix''s message_size_limit)';

-- The fetcher records a message seen again under a reused UID with its
-- new size (INSERT ... ON CONFLICT DO UPDATE), and nothing else.
GRANT UPDATE (size, fetched_at) ON postfetch.seen TO postfetch_fetcher;
