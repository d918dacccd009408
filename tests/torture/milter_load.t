#!/bin/bash
# Torture: the milter under load and faults (issue 12, 3). Fetched mail
# (signed and handed to sendmail as the fetcher does) and SMTP mail for an
# ETRN domain flow through Postfix and the milter while the aliases flip
# by SQL every 100 ms between two known target sets; each state N names
# its targets LOCALPART+gN, so every delivered copy says which state the
# milter used. Three scenarios, one row each: the load alone, PostgreSQL
# restarted in the middle, the milter SIGKILLed in the middle and started
# again by its service manager. After each: nothing lost, nothing
# mis-rewritten (milter_audit.py: exactly one state's expansion, of a
# state in force while the message was in flight), every temporary
# failure retried (by pickup for the maildrop, by the sender for SMTP)
# and delivered, the queue empty; duplicates and tempfails counted.
source "$(dirname "$0")/../integration/milter_common.sh"
source "$(dirname "$0")/../lib/torture.sh"

HERE=$(cd "$(dirname "$0")" && pwd)
if torture_full; then
	SIZES="2000 500 500"	# messages of each scenario
	WAIT=600
else
	SIZES="120 120 120"
	WAIT=150
fi
# RestartSec=5s of contrib/postfetch-milter.service.
RESTART_SEC=5
RSS_BOUND_KB=$((64 * 1024))
ldd "$MILTER_BIN" | grep -q libasan && RSS_BOUND_KB=$((512 * 1024))

PF_MAIL_USERS="sender"
PF_POSTFIX_EXTRA="recipient_delimiter = +"
milter_setup
milter_stop

# The alias states: ACCOUNT|PARITY|REMOTE|LOCALPART. Parity "*": no alias,
# the recipient goes to the account's fallback or the postmaster.
cat >"$PF_TMP/states.sql" <<'STATES'
shop|0|u1@provider.example|alice
shop|1|u1@provider.example|bob
shop|1|u1@provider.example|carol
shop|0|u2@provider.example|dave
shop|0|u2@provider.example|erin
shop|1|u2@provider.example|frank
shop|0|u3@provider.example|grace
shop|1|u3@provider.example|grace
shop|1|u3@provider.example|heidi
shop|*|nobody@provider.example|fallback
plain|0|p1@plain.example|ivan
plain|1|p1@plain.example|judy
plain|0|p2@plain.example|mallory
plain|1|p2@plain.example|mike
etrn1|0|sales@etrn.example|niaj
etrn1|1|sales@etrn.example|olivia
etrn1|1|sales@etrn.example|oscar
etrn1|0|info@etrn.example|peggy
etrn1|0|info@etrn.example|rupert
etrn1|1|info@etrn.example|sybil
etrn1|*|other@etrn.example|fallback
STATES
cut -d'|' -f2- "$PF_TMP/states.sql" >"$PF_TMP/states"

# The flipper: state N in one transaction, its times in torture.flip, a
# pause of 100 ms, and again until a row appears in torture.stop (once
# only without "forever"). A procedure, so that each state commits on its
# own; run again after a lost connection.
pg_psql <<'SQL' >/dev/null || bail "cannot set up the accounts and the flipper"
INSERT INTO postfetch.account (name, protocol, host, username, password, fallback)
    VALUES ('shop', 'pop3', 'pop.provider.example', 'u', 'p', 'fallback@example.com');
INSERT INTO postfetch.account (name, protocol, host, username, password)
    VALUES ('plain', 'pop3', 'pop.plain.example', 'u', 'p');
INSERT INTO postfetch.account (name, protocol, host, domain, fallback)
    VALUES ('etrn1', 'etrn', 'mx.provider.example', 'etrn.example', 'fallback@example.com');
CREATE SCHEMA torture;
CREATE TABLE torture.state (account text, parity text, remote text, localpart text);
CREATE TABLE torture.flip (n int PRIMARY KEY, begun float8 NOT NULL, done float8);
CREATE TABLE torture.stop (stop bool);
CREATE PROCEDURE torture.flip(forever bool) LANGUAGE plpgsql AS $$
DECLARE
	state int;
BEGIN
	LOOP
		SELECT coalesce(max(n), -1) + 1 INTO state FROM torture.flip;
		INSERT INTO torture.flip (n, begun)
		    VALUES (state, extract(epoch FROM clock_timestamp()));
		DELETE FROM postfetch.alias;
		INSERT INTO postfetch.alias (account_id, remote, local)
		    SELECT a.id, s.remote, s.localpart || '+g' || state || '@example.com'
		    FROM torture.state s JOIN postfetch.account a ON a.name = s.account
		    WHERE s.parity = (state % 2)::text;
		COMMIT;
		UPDATE torture.flip SET done = extract(epoch FROM clock_timestamp())
		    WHERE n = state;
		COMMIT;
		EXIT WHEN NOT forever OR EXISTS (SELECT 1 FROM torture.stop);
		PERFORM pg_sleep(0.1);
	END LOOP;
END
$$;
SQL
pg_psql -c "\\copy torture.state FROM '$PF_TMP/states.sql' WITH (DELIMITER '|')" ||
    bail "cannot load the alias states"

flipper()
{
	until pg_psql -c "CALL torture.flip(true)" >>"$PF_TMP/flipper.log" 2>&1; do
		sleep 0.2
	done
}

# systemd is not PID 1 here: this loop stands in for it, restarting the
# milter whenever it ends (Restart=always; contrib/postfetch-milter.service
# says on-failure, the same for a SIGKILL) after RestartSec, until stop_all.
milter_supervise()
{
	local rc
	while :; do
		"$MILTER_BIN" -d -v -c "$PF_TMP/postfetch.conf" \
		    >>"$PF_TMP/milter.log" 2>&1 &
		echo $! >"$PF_TMP/milter.pid"
		wait $! 2>/dev/null
		rc=$?
		echo "$(date +%s) exit $rc" >>"$PF_TMP/milter.exits"
		[ -e "$PF_TMP/milter.stop" ] && return 0
		sleep "$RESTART_SEC"
	done
}

# Stop the supervisor, the milter (TERM) and the flipper.
stop_all()
{
	touch "$PF_TMP/milter.stop"
	kill "$(cat "$PF_TMP/milter.pid")" 2>/dev/null
	wait "$SUPERVISOR" 2>/dev/null
	pg_psql -c "INSERT INTO torture.stop VALUES (true)" >/dev/null 2>&1
	wait "$FLIPPER" 2>/dev/null
}

pg_psql -c "CALL torture.flip(false)" >/dev/null || bail "the flipper fails"
flipper &
FLIPPER=$!
milter_supervise &
SUPERVISOR=$!
harness_at_exit stop_all
wait_port "$MILTER_PORT" 10 || bail "the milter does not listen"

# Messages logged as done by the senders of scenario PREFIX.
done_count()
{
	cat "$PF_TMP/$1".*.sent 2>/dev/null | wc -l
}

# Lines of the Postfix log after line $1 that match the ERE $2.
maillog_since()
{
	tail -n "+$(($1 + 1))" "$PF_MAILLOG" | grep -cE "$2"
}

# The peak RSS of the running milter, or of the last one sampled.
MILTER_PEAK=0
sample_rss()
{
	local kb
	kb=$(torture_rss "$(cat "$PF_TMP/milter.pid")")
	[ "${kb:-0}" -gt "$MILTER_PEAK" ] && MILTER_PEAK=$kb
}

# Start the senders of scenario P, COUNT messages: half of them shop's
# fetched mail (in sendmail -bs sessions, the fetcher's default), a sixth
# plain's (no fallback: the placeholder is the postmaster; sendmail -i),
# the rest SMTP mail for etrn.example. Their pids: SENDERS.
senders()
{
	local p=$1 count=$2 nshop=$(($2 / 2)) nplain=$(($2 / 6))
	SENDERS=()
	python3 "$HERE/milter_send.py" --sendmail "$PF_SENDMAIL" --account shop \
	    --key "$PF_TMP/secret" --placeholder fallback@example.com --session \
	    --prefix "${p}f" --count "$nshop" --log "$PF_TMP/$p.shop.sent" \
	    --rcpts u1@provider.example,u2@provider.example,u3@provider.example,nobody@provider.example \
	    2>>"$PF_TMP/$p.retries" &
	SENDERS+=($!)
	python3 "$HERE/milter_send.py" --sendmail "$PF_SENDMAIL" --account plain \
	    --key "$PF_TMP/secret" --placeholder postmaster --workers 1 \
	    --prefix "${p}p" --count "$nplain" --log "$PF_TMP/$p.plain.sent" \
	    --rcpts p1@plain.example,p2@plain.example 2>>"$PF_TMP/$p.retries" &
	SENDERS+=($!)
	python3 "$HERE/milter_send.py" --smtp "$PF_SMTP_PORT" \
	    --prefix "${p}s" --count "$((count - nshop - nplain))" \
	    --log "$PF_TMP/$p.smtp.sent" \
	    --rcpts sales@etrn.example,info@etrn.example,other@etrn.example \
	    2>>"$PF_TMP/$p.retries" &
	SENDERS+=($!)
}

# The temporary failures of scenario P in the Postfix log after line
# LINES and at the senders, as words for the table: tempfails P LINES.
tempfails()
{
	local p=$1 lines=$2 maildrop smtp severed retries deferred
	# cleanup runs the milter at the end of both kinds of mail; only SMTP
	# mail has a proto=.
	maildrop=$(maillog_since "$lines" 'milter-reject: [A-Z-]+ from [^ ]+: 4\.[0-9.]+ [^=]*; +from=<[^>]*>( to=<[^>]*>)?$')
	smtp=$(maillog_since "$lines" 'milter-reject: (MAIL|RCPT|DATA|END-OF-MESSAGE) .*: (4[0-9][0-9] )?4\..*proto=E?SMTP')
	severed=$(maillog_since "$lines" 'warning: milter .*(can.t read|read error)')
	retries=$(grep -c '^retry ' "$PF_TMP/$p.retries")
	deferred=$(maillog_since "$lines" 'status=deferred')
	echo "tempfails: $maildrop maildrop (pickup retried), $smtp smtp" \
	    "($retries sender retries), $deferred deliveries deferred;" \
	    "$severed milter conversations cut"
}

# One scenario: scenario CASE PREFIX COUNT FAULT. FAULT (a command) runs
# once half the messages are in.
scenario()
{
	local name=$1 p=$2 count=$3 fault=$4 start lines pid out error
	local rc_send=0 rc_queue rc_audit rc_rss bounced
	start=$(date +%s.%N)
	lines=$(wc -l <"$PF_MAILLOG")
	MILTER_PEAK=0
	senders "$p" "$count"
	if [ -n "$fault" ]; then
		wait_until "$WAIT" "[ \$(done_count $p) -ge $((count / 2)) ]"
		sample_rss
		diag "$name: $(done_count "$p") of $count messages in: $fault"
		$fault
	fi
	for pid in "${SENDERS[@]}"; do
		wait "$pid" || rc_send=1
	done
	ok "$name: every message accepted in the end (senders retry)" \
	    test "$rc_send" -eq 0
	# pickup rescans the maildrop every 5 s: no kick from here.
	wait_until "$WAIT" "[ \$(postfix_queue_count) -eq 0 ]"
	rc_queue=$?
	ok "$name: the Postfix queue is empty" test "$rc_queue" -eq 0
	sample_rss
	out=$(python3 "$HERE/milter_audit.py" --mail "$PF_TMP/mail" \
	    --states "$PF_TMP/states" --flips <(pg_psql -F'|' \
	    -c "SELECT n, begun, done FROM torture.flip ORDER BY n") \
	    "$PF_TMP/$p".*.sent 2>"$PF_TMP/$p.audit")
	rc_audit=$?
	diag "$name: $out"
	ok "$name: nothing lost, nothing mis-rewritten" test "$rc_audit" -eq 0
	[ "$rc_audit" -eq 0 ] || head -n 5 "$PF_TMP/$p.audit" | while read -r line; do
		diag "  $line"
	done
	[ "$MILTER_PEAK" -le "$RSS_BOUND_KB" ]
	rc_rss=$?
	ok "$name: milter peak RSS $MILTER_PEAK KiB (at most $RSS_BOUND_KB)" \
	    test "$rc_rss" -eq 0
	bounced=$(maillog_since "$lines" 'status=bounced')
	is "$bounced" 0 "$name: nothing bounced"
	grep '^retry ' "$PF_TMP/$p.retries" | cut -d' ' -f3- | cut -c1-70 |
	    sort | uniq -c | sort -rn | head -n 3 | while read -r line; do
		diag "  sender retries: $line"
	done
	error="$(sed -n 's/.*messages=\([0-9]*\).*misrewritten=\([0-9]*\).*maxlag=\(.*\)/\1 messages, \2 mis-rewritten, state lag <= \3 s/p' <<<"$out")"
	error="$error; $(tempfails "$p" "$lines")"
	[ "$rc_audit" -eq 0 ] || error="$error; $(head -n 1 "$PF_TMP/$p.audit")"
	torture_row milter "$name" "$(torture_verdict $rc_send $rc_queue $rc_audit $rc_rss $((bounced != 0)))" \
	    "$MILTER_PEAK" "$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')" \
	    "$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' <<<"$out")" \
	    "$(sed -n 's/.*duplicates=\([0-9]*\).*/\1/p' <<<"$out")" "$error"
}

kill_milter()
{
	kill -KILL "$(cat "$PF_TMP/milter.pid")"
}

read -r n1 n2 n3 <<<"$SIZES"
scenario alias-flips-under-load l "$n1" ""
scenario pg-restart r "$n2" pg_restart
like "$(milter_log)" "database unavailable, mail waits" "the outage was logged"
scenario milter-sigkill k "$n3" kill_milter
stop_all
is "$(cut -d' ' -f2- "$PF_TMP/milter.exits" | tr '\n' ' ')" "exit 137 exit 0 " \
    "the milter: killed once, started again, stopped cleanly"
unlike "$(milter_log)" "Sanitizer|runtime error:" \
    "no sanitizer report in the milter's log"
done_testing
