#!/bin/bash
# Account schedules in the schema: postfetch.schedule_valid accepts exactly
# the texts of tests/unit/schedule_cases.txt that the C parser accepts
# (tests/unit/common_schedule.c reads the same file), the CHECK on
# account.schedule uses it, and the fetcher's role may still update an
# account (the CHECK runs with its rights).
source "$(dirname "$0")/../lib/harness.sh"
harness_init
pg_start
pg_psql -f "$PF_TOP/schema/postfetch.sql" >/dev/null || bail "schema install failed"

CASES=$PF_TOP/tests/unit/schedule_cases.txt
[ -r "$CASES" ] || bail "$CASES not readable"

# The cases as SQL rows (line, text, expected), the text a literal with
# the file's \t and \n escapes made real.
tab=$'\t'
nl=$'\n'
rows=
count=0
lineno=0
while IFS= read -r line; do
	lineno=$((lineno + 1))
	case $line in
	'#'* | '') continue ;;
	ok\|*) want=true text=${line#ok|} ;;
	bad\|*) want=false text=${line#bad|}; text=${text%%|*} ;;
	*) bail "$CASES:$lineno: neither ok| nor bad|" ;;
	esac
	text=${text//\\t/$tab}
	text=${text//\\n/$nl}
	text=${text//\'/\'\'}
	rows="$rows${rows:+,}($lineno, '$text', $want)"
	count=$((count + 1))
done <"$CASES"
ok "the cases file has at least 60 cases ($count)" test "$count" -ge 60

# Every case whose answer differs, as "line N: got X".
wrong=$(pg_psql -c "SELECT string_agg('line ' || n || ': got ' ||
    coalesce(postfetch.schedule_valid(t)::text, 'NULL'), ', ' ORDER BY n)
    FROM (VALUES $rows) AS c (n, t, want)
    WHERE postfetch.schedule_valid(t) IS DISTINCT FROM want" 2>&1) ||
    wrong="the query failed: $wrong"
is "$wrong" "" "schedule_valid agrees with the C parser on all $count cases"
is "$(pg_psql -c "SELECT count(*) FILTER (WHERE want), count(*) FILTER (WHERE NOT want)
    FROM (VALUES $rows) AS c (n, t, want)")" "$(grep -c '^ok|' "$CASES")|$(grep -c '^bad|' "$CASES")" \
    "both kinds are there"
is "$(pg_psql -c "SELECT postfetch.schedule_valid(NULL) IS NULL")" t \
    "NULL is no answer (STRICT): the column's NULL passes the CHECK"

# --- the column -----------------------------------------------------------------
account()
{
	echo "INSERT INTO postfetch.account (name, protocol, host, username, password, schedule)
	    VALUES ('$1', 'pop3', 'pop.example.com', 'user', 'secret', $2)"
}
ok "an account without a schedule (NULL: the configuration's default)" \
    pg_psql -c "$(account plain NULL)"
is "$(pg_psql -c "SELECT schedule IS NULL FROM postfetch.account WHERE name = 'plain'")" t \
    "the column defaults to NULL"
ok "an account with a schedule" \
    pg_psql -c "$(account office "'mon-fri 07:00-19:00, sat 08:00-12:00'")"
ok "an account with always" pg_psql -c "$(account anytime "'always'")"
like "$(pg_psql -c "$(account bad "'mon-fri 7-19'")" 2>&1)" \
    'constraint "account_schedule_valid"' "a bad schedule is refused by account_schedule_valid"
like "$(pg_psql -c "UPDATE postfetch.account SET schedule = 'weekdays' WHERE name = 'office'" 2>&1)" \
    'constraint "account_schedule_valid"' "and so is an update to one"
is "$(pg_psql -c "SELECT schedule FROM postfetch.account WHERE name = 'office'")" \
    "mon-fri 07:00-19:00, sat 08:00-12:00" "the schedule is kept as written"
like "$(pg_psql -c "SELECT col_description('postfetch.account'::regclass,
    (SELECT attnum FROM pg_attribute WHERE attrelid = 'postfetch.account'::regclass
    AND attname = 'schedule'))")" "default_schedule" "the column is documented"

# --- the roles ------------------------------------------------------------------
pg_psql -c "CREATE ROLE fetcher1 LOGIN IN ROLE postfetch_fetcher;
    CREATE ROLE stranger LOGIN" || bail "cannot create login roles"
ok "the fetcher reads the schedule" \
    env PGUSER=fetcher1 "$PF_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
    -c "SELECT name, schedule FROM postfetch.account WHERE active"
ok "the fetcher updates the status of an account with a schedule (the CHECK runs as it)" \
    env PGUSER=fetcher1 "$PF_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 \
    -c "UPDATE postfetch.account SET next_poll = now() WHERE name = 'office'"
like "$(PGUSER=stranger pg_psql -c "SELECT postfetch.schedule_valid('always')" 2>&1)" \
    "permission denied" "PUBLIC cannot call schedule_valid"

done_testing
