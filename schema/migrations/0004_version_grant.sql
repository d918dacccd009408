-- Migration 0004: both programs may read postfetch.schema_version, so that
-- they can refuse, with a clear message, a schema older or newer than the
-- one they know (postfetch checks it at every connect). Applied by
-- postfetch.sql inside one transaction.

GRANT SELECT ON postfetch.schema_version TO postfetch_fetcher, postfetch_milter;
