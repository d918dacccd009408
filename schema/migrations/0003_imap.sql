-- Migration 0003: what the IMAP driver needs (issue 8): the Message-ID of
-- each message in the seen index, for the UIDVALIDITY rule. Applied by
-- postfetch.sql inside one transaction.

-- When a folder's UIDVALIDITY changes, its old UIDs mean nothing. A
-- message of the folder whose Message-ID and size match a row under the
-- old UIDVALIDITY was delivered before: it is recorded under the new one
-- and not delivered again (postfetch(8), UIDVALIDITY). NULL for messages
-- without a Message-ID and for rows from before this migration.
ALTER TABLE postfetch.seen ADD COLUMN message_id text
    CONSTRAINT seen_message_id_valid
	CHECK (length(message_id) BETWEEN 1 AND 998);

COMMENT ON COLUMN postfetch.seen.message_id IS
    'Message-ID of the message, without <>, for matching after a UIDVALIDITY change; NULL if it had none';

-- The fetcher records a message seen again under a reused UID with its
-- new Message-ID too, and drops the rows of an old UIDVALIDITY (it may
-- already delete seen rows).
GRANT UPDATE (message_id) ON postfetch.seen TO postfetch_fetcher;
