# Shared setup of the fetch_*.t integration tests (sourced after the
# harness): services, schema, postfetch.conf, accounts, running postfetch.
#
#   fetch_setup USER...          harness_init, certificates, PostgreSQL +
#                                Postfix + Dovecot with these POP3 users
#                                (password "secret"), schema, $PF_CONF
#   mailbox_user USER            add one more user (slower: Dovecot re-reads)
#   fetch_conf [LINE...]         (re)write $PF_CONF; LINEs are appended
#   account_add NAME COL=VALUE...  insert a pop3 account (values are SQL)
#   fetch_run ARGS...            run postfetch -v -c $PF_CONF ARGS; stdout
#                                in $PF_OUT, the log lines in $PF_LOG
#   fetch_start ARGS... / fetch_wait   the same in two steps: postfetch
#                                runs in the background as $PF_PID
#   fetch_poll NAME...           fetch_run poll NAME...
#   sendmail_script NAME LINE... a sendmail stand-in: the bash script
#                                $PF_TMP/NAME of the LINEs
#   poll_through SCRIPT NAME [LINE...]  poll NAME through that stand-in
#   mailbox_account NAME RECIPIENT FILE...  an account on Dovecot holding FILEs
#   peer_start ARGS / peer_restart ARGS / peer_stop   pop3_peer.py
#   imap_peer_start ARGS         imap_peer.py instead (peer_restart and
#                                peer_stop act on the peer started last)
#   peer_account NAME [RECIPIENT]  an account on pop3_peer.py (multidrop
#                                without RECIPIENT)
#   small_message FILE ID        a small message with Message-ID <ID@example.org>
#   random_message FILE ID SIZE SEED  one with SIZE random bytes (base64)
#                                that follow from SEED and ID
#   digests FILE...              "<message-id> body-hash" of each message
#   fetch_compare SENT USER...   compare the messages in directory SENT with
#                                what the USERs got: PF_LOST, PF_ALTERED,
#                                PF_DUPS, PF_SENT_COUNT, PF_DELIVERED_COUNT
#   sql QUERY                    one value from the test database
#   claim_holders NAME           the pids of the sessions holding the
#                                claim (advisory lock) of account NAME, or -
#   claim_hold NAME [OWNER]      hold that claim from another session, as
#                                another fetcher would, until claim_drop

PF_POSTFETCH=${PF_POSTFETCH:-$PF_BUILD/fetcher/postfetch}
PF_CONF=
PF_OUT=
PF_LOG=
PF_RC=
PF_PID=
PF_FETCH_USERS=

# Start everything a fetch test needs and write the configuration.
fetch_setup()
{
	local user
	[ -x "$PF_POSTFETCH" ] || skip_all "$PF_POSTFETCH not built"
	harness_init
	certs_make
	for user in "$@"; do
		dovecot_add_user "$user" secret
		PF_FETCH_USERS="$PF_FETCH_USERS $user "
	done
	harness_start pg postfix dovecot
	pg_psql -f "$PF_TOP/schema/postfetch.sql" >"$PF_TMP/schema.log" 2>&1 ||
	    bail "schema/postfetch.sql does not load: $(tail -n 3 "$PF_TMP/schema.log")"
	openssl rand -hex 32 >"$PF_TMP/secret"
	chmod 600 "$PF_TMP/secret"
	PF_CONF=$PF_TMP/postfetch.conf
	PF_OUT=$PF_TMP/postfetch.out
	PF_LOG=$PF_TMP/postfetch.log
	: >"$PF_LOG"
	fetch_conf
}

# A Dovecot user USER with password "secret", unless fetch_setup made it.
mailbox_user()
{
	case "$PF_FETCH_USERS" in
	*" $1 "*) return 0 ;;
	esac
	dovecot_add_user "$1" secret
	PF_FETCH_USERS="$PF_FETCH_USERS $1 "
}

# Write postfetch.conf; arguments are "key = value" lines that replace
# the defaults of the same key or add to them. user = root: Postfix's
# sendmail -C works only for root (postdrop checks
# alternate_config_directories for anyone else).
fetch_conf()
{
	local line default
	{
		echo "# postfetch test configuration"
		for default in "database = $PF_DB" \
		    "sendmail_path = $PF_SENDMAIL" \
		    "postmaster = postmaster@example.com" \
		    "secret_file = $PF_TMP/secret" "timeout = 20" \
		    "milter_state_file = $PF_TMP/milter.state" \
		    "user = root"; do
			for line in "$@"; do
				[ "${line%% *}" = "${default%% *}" ] &&
				    continue 2
			done
			echo "$default"
		done
		for line in "$@"; do
			echo "$line"
		done
	} >"$PF_CONF"
}

# One value (or rows, |-separated) from the test database.
sql()
{
	pg_psql -c "$1"
}

# The claim of an account is the advisory lock (1885757795, its id) of a
# database session (fetcher/store.c). The pids holding that of NAME, or -.
claim_holders()
{
	sql "SELECT coalesce(string_agg(l.pid::text, ',' ORDER BY l.pid), '-')
	    FROM pg_locks l JOIN postfetch.account a
	    ON l.objid::bigint = a.id & 4294967295
	    WHERE a.name = '$1' AND l.locktype = 'advisory' AND l.granted
	    AND l.classid = 1885757795 AND l.objsubid = 2"
}

# Hold the claim of account NAME (its lock, and the lease in the name of
# OWNER, default elsewhere:1) from a session of its own until claim_drop.
claim_hold()
{
	pg_psql -c "SELECT pg_advisory_lock(1885757795, id::int4)
	    FROM postfetch.account WHERE name = '$1'" \
	    -c "UPDATE postfetch.account SET lease_owner = '${2:-elsewhere:1}',
	    lease_until = now() + interval '10 min' WHERE name = '$1'" \
	    -c "SELECT pg_sleep(600)" >/dev/null 2>&1 &
	PF_CLAIM_PID=$!
	wait_until 10 "[ \"\$(claim_holders '$1')\" != - ]" ||
	    bail "claim_hold: the lock of $1 was not taken"
}

# End the session of claim_hold: its lock goes with it.
claim_drop()
{
	sql "SELECT pg_terminate_backend(pid, 10000) FROM pg_stat_activity
	    WHERE query = 'SELECT pg_sleep(600)'" >/dev/null
	wait "$PF_CLAIM_PID" 2>/dev/null
	return 0
}

# Insert an account: account_add NAME host="'localhost'" port=N ...
# Defaults: protocol pop3, host localhost, username NAME, password "secret".
account_add()
{
	local name=$1 columns="name" values="'$1'" arg
	shift
	case " $* " in *" protocol="*) ;; *) set -- protocol="'pop3'" "$@" ;; esac
	case " $* " in *" host="*) ;; *) set -- host="'localhost'" "$@" ;; esac
	case " $* " in *" username="*) ;; *) set -- username="'$name'" "$@" ;; esac
	case " $* " in *" password="*) ;; *) set -- password="'secret'" "$@" ;; esac
	for arg in "$@"; do
		columns="$columns, ${arg%%=*}"
		values="$values, ${arg#*=}"
	done
	sql "INSERT INTO postfetch.account ($columns) VALUES ($values)" >/dev/null
}

# Run postfetch (after the words of $PF_RUN_PREFIX, e.g. /usr/bin/time);
# PF_RC is its exit status, PF_OUT its output, and the log lines of this
# run are in PF_LOG (appended to $PF_TMP/all.log too).
fetch_run()
{
	fetch_start "$@"
	fetch_wait
}

# Start postfetch as fetch_run does, in the background: PF_PID is its
# pid (postfetch's own: a kill reaches it alone, not its children).
fetch_start()
{
	# shellcheck disable=SC2086
	SSL_CERT_FILE=$PF_TEST_CA ${PF_RUN_PREFIX:-} "$PF_POSTFETCH" -v \
	    -c "$PF_CONF" "$@" \
	    >"$PF_OUT" 2>"$PF_LOG" &
	PF_PID=$!
}

# Wait for the postfetch of fetch_start; then PF_RC, PF_OUT and PF_LOG
# are as after fetch_run. Says nothing of a kill (PF_RC 137).
fetch_wait()
{
	{ wait "$PF_PID"; } 2>/dev/null
	PF_RC=$?
	cat "$PF_LOG" >>"$PF_TMP/all.log"
	return 0
}

fetch_poll()
{
	fetch_run poll "$@"
}

# A sendmail stand-in, the bash script $PF_TMP/NAME of the LINEs:
# sendmail_script NAME LINE...
sendmail_script()
{
	local name=$1
	shift
	printf '#!/bin/bash\n' >"$PF_TMP/$name"
	printf '%s\n' "$@" >>"$PF_TMP/$name"
	chmod 755 "$PF_TMP/$name"
}

# Poll account NAME with sendmail_path = $PF_TMP/SCRIPT (run as
# "sendmail -i", one per message) and the other configuration LINEs, then
# go back to the defaults: poll_through SCRIPT NAME [LINE...]
poll_through()
{
	local script=$1 name=$2
	shift 2
	fetch_conf "sendmail_path = $PF_TMP/$script" "sendmail_mode = message" \
	    "$@"
	fetch_poll "$name"
	fetch_conf
}

# An account on the harness's Dovecot, its mailbox holding the FILEs:
# mailbox_account NAME RECIPIENT FILE...
mailbox_account()
{
	local name=$1 recipient=$2
	shift 2
	mailbox_user "$name"
	mailbox_fill "$name" "$@"
	account_add "$name" port="$PF_POP3S_PORT" tls="'direct'" \
	    deliver_to="'$recipient'"
}

# A small message, its Message-ID <ID@example.org>: small_message FILE ID
small_message()
{
	printf 'From: a@example.org\nTo: kim@example.com\nMessage-ID: <%s@example.org>\nSubject: %s\n\nBody of %s.\n' \
	    "$2" "$2" "$2" >"$1"
}

# A message whose body has the lines a transport is tempted to change
# (dots, "From "), then SIZE random bytes in base64 (4/3 of SIZE); its
# content follows from SEED and ID: random_message FILE ID SIZE SEED
random_message()
{
	{
		printf 'From: Sender <sender@example.org>\nTo: grace@example.com\n'
		printf 'Message-ID: <%s@example.org>\nSubject: test %s\n\n' \
		    "$2" "$2"
		printf '.\n..\n. a dot\nFrom the body\n\n'
		head -c "$3" /dev/zero |
		    openssl enc -aes-128-ctr -nosalt -pbkdf2 \
		    -pass "pass:$4/$2" 2>/dev/null | base64 -w 76
	} >"$1"
}

# "<message-id> body-hash" of each message FILE, one a line.
digests()
{
	local file
	for file in "$@"; do
		printf '%s %s\n' \
		    "$(grep -m 1 -i '^Message-ID:' "$file" | sed 's/^[^<]*//')" \
		    "$(sed '1,/^$/d' "$file" | sha256sum | cut -d' ' -f1)"
	done
}

# Compare the messages in directory SENT with the copies local(8)
# delivered to the USERs, by Message-ID and body hash: fetch_compare SENT
# USER... PF_LOST: sent, no intact copy delivered; PF_ALTERED: delivered
# copies that match nothing sent (truncated or altered); PF_DUPS: copies
# beyond the first of a message; PF_SENT_COUNT, PF_DELIVERED_COUNT. The
# digests of the lost and altered ones are in $PF_TMP/lost and
# $PF_TMP/altered.
fetch_compare()
{
	local sent=$1 user
	shift
	# shellcheck disable=SC2046
	digests $(find "$sent" -type f) | sort -u >"$PF_TMP/sent.digests"
	for user in "$@"; do
		# shellcheck disable=SC2046
		digests $(maildir_files "$user")
	done | sort >"$PF_TMP/delivered.digests"
	sort -u "$PF_TMP/delivered.digests" >"$PF_TMP/unique.digests"
	comm -23 "$PF_TMP/sent.digests" "$PF_TMP/unique.digests" \
	    >"$PF_TMP/lost"
	comm -13 "$PF_TMP/sent.digests" "$PF_TMP/unique.digests" \
	    >"$PF_TMP/altered"
	PF_LOST=$(wc -l <"$PF_TMP/lost")
	PF_ALTERED=$(wc -l <"$PF_TMP/altered")
	PF_SENT_COUNT=$(wc -l <"$PF_TMP/sent.digests")
	PF_DELIVERED_COUNT=$(wc -l <"$PF_TMP/delivered.digests")
	PF_DUPS=$((PF_DELIVERED_COUNT - $(wc -l <"$PF_TMP/unique.digests")))
}

# The log lines of the last run matching ERE.
log_grep()
{
	grep -E -- "$1" "$PF_LOG"
}

# How many log lines of the last run match ERE.
log_count()
{
	grep -Ec -- "$1" "$PF_LOG"
}

# The number of seen rows of account NAME.
seen_count()
{
	sql "SELECT count(*) FROM postfetch.seen s JOIN postfetch.account a
	    ON a.id = s.account_id WHERE a.name = '$1'"
}

# The last poll row of account NAME: messages|bytes|error.
last_poll()
{
	sql "SELECT p.messages, p.bytes, coalesce(p.error, '') FROM postfetch.poll p
	    JOIN postfetch.account a ON a.id = p.account_id WHERE a.name = '$1'
	    ORDER BY p.id DESC LIMIT 1"
}

# Show the log of the last run when a test failed just now.
log_on_failure()
{
	[ "$1" -eq 0 ] || diag "$(cat "$PF_LOG")"
}

# Start tests/integration/pop3_peer.py with ARGS (plain TCP, user "user",
# password "secret"); PF_PEER_PORT is its port, PF_PEER_PID its pid.
peer_start()
{
	_peer_launch pop3_peer.py "$@"
}

# The same with tests/integration/imap_peer.py.
imap_peer_start()
{
	_peer_launch imap_peer.py "$@"
}

# Start tests/integration/SCRIPT with ARGS: _peer_launch SCRIPT ARGS...
_peer_launch()
{
	local out=$PF_TMP/peer.$RANDOM
	PF_PEER_SCRIPT=$1
	shift
	: >"$out"
	python3 "$PF_TOP/tests/integration/$PF_PEER_SCRIPT" --port 0 "$@" \
	    >"$out" 2>&1 &
	PF_PEER_PID=$!
	wait_until 10 "grep -q '^ready ' '$out'" ||
	    bail "$PF_PEER_SCRIPT did not start: $(cat "$out")"
	PF_PEER_PORT=$(sed -n 's/^ready //p' "$out")
}

# An account on the scripted server (peer_start): peer_account NAME
# [RECIPIENT]; without RECIPIENT it is multidrop.
peer_account()
{
	local name=$1 recipient=$2
	set -- port="$PF_PEER_PORT" tls="'disable'" auth="'password'" \
	    username="'user'"
	[ -z "$recipient" ] || set -- "$@" deliver_to="'$recipient'"
	account_add "$name" "$@"
}

# Stop the peer started last.
peer_stop()
{
	kill "$PF_PEER_PID" 2>/dev/null
	wait "$PF_PEER_PID" 2>/dev/null
	return 0
}

# Stop the peer and start it again on the same port with ARGS (its
# accounts stay as they are; with --store, so do its messages).
peer_restart()
{
	local port=$PF_PEER_PORT
	peer_stop
	_peer_launch "$PF_PEER_SCRIPT" --port "$port" "$@"
}

# How many messages account NAME has on its server (postfetch check).
server_count()
{
	fetch_run check "$1"
	sed -n 's/^messages: *\([0-9]*\),.*/\1/p' "$PF_OUT"
}

# fetch_carried USER ID RCPT...: USER's copy of the message whose body
# names ID carries exactly RCPT... in its X-Postfetch-Recipients headers
# (the intended recipients a placeholder sees without the milter).
fetch_carried()
{
	local user=$1 id=$2 file
	shift 2
	file=$(grep -l "^Body of $id\.\$" "$PF_TMP/mail/$user"/new/*) &&
	    [ "$(sed -n '/^X-Postfetch-Recipients:/,/^[^ \t]/p' "$file" |
	    grep -o '<[^>]*>' | tr -d '<>' | tr '\n' ' ')" = "$* " ]
}
