# A private Dovecot (POP3 and IMAP) for the tests (sourced by harness.sh).
#
#   dovecot_start [--selfsigned]   start it; TLS with the test CA's server
#                      certificate (SAN DNS:localhost), or with the
#                      self-signed one; exports PF_POP3_PORT (plain+STLS)
#                      PF_POP3S_PORT (implicit TLS) PF_IMAP_PORT (plain+
#                      STARTTLS) PF_IMAPS_PORT PF_DOVECOT_LOG PF_DOVECOT_CONF
#   dovecot_stop
#   dovecot_add_user USER PASS     passwd-file user, {PLAIN} password (so APOP
#                      and CRAM-MD5 work; xoauth2/oauthbearer take the
#                      password as the token). Before or after start.
#   mailbox_fill USER FILE...      put the messages (bytes as given) into
#                      USER's Maildir/new, in this order (= UID/UIDL order)
#   mailbox_count USER             messages still on the server
#   mailbox_dir USER               the user's Maildir
#   dovecot_kill_sessions [USER] [pop3|imap]   kill the user's mail
#                      processes mid-session (dropped-connection tests)
#   mailclient [--tls|--starttls] [--ca F|--noverify] [--name H] pop3|imap PORT CMD...
#                      a tiny client that prints "S: " lines (mailclient.py)
#
# Mail is stored as $PF_USER under $PF_TMP/dovecot/mail/USER/Maildir.

# Choose ports and write the configuration.
_dovecot_prepare()
{
	local d=$PF_TMP/dovecot cert key
	certs_make
	if [ "${PF_DOVECOT_SELFSIGNED:-0}" = 1 ]; then
		cert=$PF_SELFSIGNED_CERT key=$PF_SELFSIGNED_KEY
	else
		cert=$PF_TLS_CERT key=$PF_TLS_KEY
	fi
	PF_DOVECOT_CONF=$d/dovecot.conf
	PF_DOVECOT_LOG=$d/dovecot.log
	[ -n "${PF_POP3_PORT:-}" ] || PF_POP3_PORT=$(free_port)
	[ -n "${PF_POP3S_PORT:-}" ] || PF_POP3S_PORT=$(free_port)
	[ -n "${PF_IMAP_PORT:-}" ] || PF_IMAP_PORT=$(free_port)
	[ -n "${PF_IMAPS_PORT:-}" ] || PF_IMAPS_PORT=$(free_port)
	export PF_DOVECOT_CONF PF_DOVECOT_LOG PF_POP3_PORT PF_POP3S_PORT \
	    PF_IMAP_PORT PF_IMAPS_PORT
	mkdir -p "$d/run" "$d/state" "$d/mail"
	chown "$PF_USER:$PF_GROUP" "$d/mail"
	touch "$d/users" "$PF_DOVECOT_LOG"
	chmod 644 "$d/users"
	cat >"$PF_DOVECOT_CONF" <<-EOF
	# Private Dovecot of a postfetch test.
	protocols = pop3 imap
	listen = 127.0.0.1
	base_dir = $d/run
	state_dir = $d/state
	instance_name = pftest-${PF_TMP##*/pf.}
	log_path = $PF_DOVECOT_LOG
	info_log_path = $PF_DOVECOT_LOG
	auth_verbose = yes
	# Tests try wrong passwords: answer at once.
	auth_failure_delay = 0
	verbose_proctitle = yes
	ssl = yes
	ssl_cert = <$cert
	ssl_key = <$key
	ssl_min_protocol = TLSv1.2
	disable_plaintext_auth = no
	auth_mechanisms = plain login cram-md5 apop xoauth2 oauthbearer
	passdb {
	  driver = passwd-file
	  args = scheme=PLAIN username_format=%u $d/users
	}
	userdb {
	  driver = static
	  args = uid=$PF_USER gid=$PF_GROUP home=$d/mail/%u
	}
	mail_location = maildir:~/Maildir
	first_valid_uid = 1
	first_valid_gid = 1
	pop3_uidl_format = %08Xu%08Xv
	mail_fsync = never
	service pop3-login {
	  chroot =
	  inet_listener pop3 {
	    port = $PF_POP3_PORT
	  }
	  inet_listener pop3s {
	    port = $PF_POP3S_PORT
	    ssl = yes
	  }
	}
	service imap-login {
	  chroot =
	  inet_listener imap {
	    port = $PF_IMAP_PORT
	  }
	  inet_listener imaps {
	    port = $PF_IMAPS_PORT
	    ssl = yes
	  }
	}
	service anvil {
	  chroot =
	  # No auth penalty: tests log in right after failing on purpose.
	  unix_listener anvil-auth-penalty {
	    mode = 0
	  }
	}
	EOF
}

# Start the Dovecot master (it daemonizes).
_dovecot_launch()
{
	dovecot -c "$PF_DOVECOT_CONF" >"$PF_TMP/dovecot/start.log" 2>&1 || {
		cat "$PF_TMP/dovecot/start.log" "$PF_DOVECOT_LOG" >&2
		return 1
	}
}

# True when all four listeners answer.
_dovecot_ready()
{
	local port
	for port in "$PF_POP3_PORT" "$PF_POP3S_PORT" "$PF_IMAP_PORT" \
	    "$PF_IMAPS_PORT"; do
		wait_port "$port" 10 || {
			cat "$PF_DOVECOT_LOG" >&2
			return 1
		}
	done
}

# Start the private Dovecot: dovecot_start [--selfsigned].
dovecot_start()
{
	[ "${1:-}" = --selfsigned ] && PF_DOVECOT_SELFSIGNED=1
	_dovecot_prepare || bail "dovecot_start: cannot prepare"
	_harness_started dovecot
	_dovecot_launch || bail "dovecot_start failed"
	_dovecot_ready || bail "dovecot_start: listeners do not answer"
}

# The pid of the running Dovecot master, if any.
_dovecot_master_pid()
{
	local pid
	pid=$(cat 2>/dev/null <"$PF_TMP/dovecot/run/master.pid")
	[ -n "$pid" ] && pf_alive "$pid" && echo "$pid"
}

# Stop the private Dovecot and wait for its processes to go. A graceful
# stop takes Dovecot about 2.5 s; --fast (used at exit) kills it at once.
dovecot_stop()
{
	local pid children
	pid=$(_dovecot_master_pid)
	if [ -n "$pid" ]; then
		children=$(pgrep -P "$pid" | tr '\n' ' ')
		if [ "${1:-}" = --fast ]; then
			kill -KILL "$pid" $children 2>/dev/null
		else
			kill -TERM "$pid"
		fi
		wait_until 5 "! pf_alive $pid" || kill -KILL "$pid" 2>/dev/null
		# Session processes exit once they see the master go.
		[ -z "$children" ] ||
		    wait_until 3 "! pf_alive $children" ||
		    kill -KILL $children 2>/dev/null
	fi
	_harness_stopped dovecot
	return 0
}

# Add (or replace) a passwd-file user with a {PLAIN} password.
dovecot_add_user()
{
	local f=$PF_TMP/dovecot/users
	mkdir -p "$PF_TMP/dovecot"
	touch "$f"
	grep -v "^$1:" "$f" >"$f.new"
	printf '%s:{PLAIN}%s::::::\n' "$1" "$2" >>"$f.new"
	chmod 644 "$f.new"
	mv "$f.new" "$f"
	# A running Dovecot re-reads the file at most once a second.
	[ -n "$(_dovecot_master_pid)" ] && sleep 1.1
	return 0
}

# The Maildir of USER.
mailbox_dir()
{
	echo "$PF_TMP/dovecot/mail/$1/Maildir"
}

# Put message files into USER's Maildir/new, byte for byte, in order.
mailbox_fill()
{
	local user=$1 home=$PF_TMP/dovecot/mail/$1 dir file seq now
	shift
	dir=$(mailbox_dir "$user")
	mkdir -p "$PF_TMP/dovecot/mail" "$dir/new" "$dir/cur" "$dir/tmp"
	chown "$PF_USER:$PF_GROUP" "$PF_TMP/dovecot/mail"
	chown -R "$PF_USER:$PF_GROUP" "$home"
	chmod 700 "$home" "$dir" "$dir/new" "$dir/cur" "$dir/tmp"
	seq=$(cat "$PF_TMP/dovecot/fill.seq" 2>/dev/null || echo 0)
	now=$(date +%s)
	for file in "$@"; do
		seq=$((seq + 1))
		# The names sort in fill order, so UIDs follow it.
		install -o "$PF_USER" -g "$PF_GROUP" -m 600 "$file" \
		    "$dir/tmp/$now.M$(printf %06d "$seq")P$$.pftest" ||
		    return 1
		mv "$dir/tmp/$now.M$(printf %06d "$seq")P$$.pftest" "$dir/new/"
	done
	echo "$seq" >"$PF_TMP/dovecot/fill.seq"
}

# Number of messages in USER's mailbox on the server.
mailbox_count()
{
	local dir
	dir=$(mailbox_dir "$1")
	find "$dir/new" "$dir/cur" -type f 2>/dev/null | wc -l
}

# Kill the POP3/IMAP processes of USER (all users if empty or "*"),
# optionally only one protocol: dovecot_kill_sessions alice pop3.
dovecot_kill_sessions()
{
	local user=${1:-*} proto=${2:-*} pid pids= title
	# Process titles start with "dovecot-" and the instance_name.
	for pid in $(pgrep -f "^dovecot-pftest-${PF_TMP##*/pf.}/"); do
		title=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")
		# shellcheck disable=SC2254,SC2027
		case "$title" in
		dovecot-*/$proto" ["$user" "*) pids="$pids $pid" ;;
		esac
	done
	[ -n "$pids" ] || return 1
	# shellcheck disable=SC2086
	kill -KILL $pids
}

# The tiny POP3/IMAP client (see tests/lib/mailclient.py for its usage).
mailclient()
{
	/usr/bin/python3 "$PF_LIB/mailclient.py" "$@"
}
