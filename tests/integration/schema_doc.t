#!/bin/bash
# The SQL examples of doc/postfetch-sql.7 (the blocks after a "sql-example"
# comment) run, in order, against a freshly installed schema and do what the
# page says.
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"

PAGE=$PF_TOP/doc/postfetch-sql.7
EXAMPLES=$PF_TMP/examples
mkdir -p "$EXAMPLES"

# Split the marked blocks into numbered files, undoing the roff escapes.
awk -v dir="$EXAMPLES" '
	/^\.\\" sql-example/ { want = 1; next }
	want && /^\.Bd/ { n++; file = sprintf("%s/%02d.sql", dir, n); inblock = 1; want = 0; next }
	inblock && /^\.Ed/ { inblock = 0; close(file); next }
	inblock { gsub(/\\e/, "\\"); gsub(/\\-/, "-"); print > file }
' "$PAGE"
count=$(find "$EXAMPLES" -name "*.sql" | wc -l)
ok "the page has at least 15 SQL examples (found $count)" test "$count" -ge 15

for f in "$EXAMPLES"/*.sql; do
	ok "example $(basename "$f" .sql): $(head -n 1 "$f" | sed 's/^ *//')" \
	    pg_psql -f "$f"
done

# psql as login role $1; the remaining arguments go to psql.
as()
{
	local role=$1
	shift
	PGUSER=$role pg_psql "$@"
}

is "$(pg_psql -c "SELECT string_agg(name || ':' || protocol, ' ' ORDER BY name)
    FROM postfetch.account")" \
    "acme:pop3 anna-imap:imap example-org:etrn pavel:pop3" "the four example accounts exist"
is "$(pg_psql -c "SELECT string_agg(l.remote || '>' || l.local, ' ' ORDER BY l.remote, l.local)
    FROM postfetch.alias l JOIN postfetch.account a ON a.id = l.account_id
    WHERE a.name = 'acme'")" \
    "@provider.example>office@example.com p.maly@provider.example>pavel.maly@example.com sales@provider.example>anna@example.com" \
    "the example aliases, minus the removed one"
is "$(pg_psql -c "SELECT folders FROM postfetch.account WHERE name = 'anna-imap'")" \
    "{INBOX,Lists/postfix}" "the IMAP example has its folders"
is "$(pg_psql -c "SELECT active FROM postfetch.account WHERE name = 'anna-imap'")" t \
    "the paused account was resumed"
is "$(as mail_milter -c "SELECT count(*) FROM postfetch.alias")" 3 \
    "the example milter login reads aliases"
like "$(as mail_milter -c "SELECT password FROM postfetch.account" 2>&1)" \
    "permission denied for table account" "the example milter login cannot read passwords"
ok "the example fetcher login reads passwords" \
    as mail_fetcher -c "SELECT password FROM postfetch.account"
ok "the example combined login reads aliases and passwords" \
    as postfetch -c "SELECT password FROM postfetch.account;
    SELECT local FROM postfetch.alias"
ok "the example administrator can add an account" \
    as alice -c "INSERT INTO postfetch.account
    (name, protocol, host, domain) VALUES ('alice-etrn', 'etrn', 'mx.example', 'example.net')"

if command -v mandoc >/dev/null; then
	ok "mandoc -Tlint finds nothing to warn about" \
	    mandoc -Tlint -W warning "$PAGE"
else
	skip "mandoc is not installed"
fi

done_testing
