# A private Dovecot (POP3 and IMAP) for the tests (sourced by harness.sh).
#
#   dovecot_start [--selfsigned]   start it; TLS with the test CA's server
#                      certificate (SAN DNS:localhost), or with the
#                      self-signed one; exports PF_POP3_PORT (plain+STLS)
#                      PF_POP3S_PORT (implicit TLS) PF_IMAP_PORT (plain+
#                      STARTTLS) PF_IMAPS_PORT PF_DOVECOT_LOG PF_DOVECOT_CONF
#                      PF_DOVECOT_AUTH (its auth socket, for a test Postfix:
#                      smtpd_sasl_type = dovecot, smtpd_sasl_path = it)
#   dovecot_stop
#   dovecot_add_user USER PASS     passwd-file user, {PLAIN} password (so APOP
#                      and CRAM-MD5 work; xoauth2/oauthbearer take the
#                      password as the token). Before or after start.
#   mailbox_fill [--date DATE] USER FILE...   put the messages (bytes as
#                      given) into USER's Maildir/new, in this order (= UID/
#                      UIDL order); --date (touch -d) sets their INTERNALDATE
#   mailbox_count USER             messages still on the server
#   mailbox_dir USER               the user's Maildir
#
# IMAP folders. FOLDER is the IMAP name (INBOX, "Archive.2024"); the
# hierarchy separator is "." (Maildir++ default), or "/" when
# PF_DOVECOT_SEPARATOR=/ was set before dovecot_start. A name with
# non-ASCII characters is taken as UTF-8 and stored in modified UTF-7, as
# Dovecot does ("Wysłane" is "Wys&AUI-ane" on the wire and ".Wys&AUI-ane"
# on disk); an ASCII name is already modified UTF-7 ("&" is "&-").
#   folder_fill [--date DATE] USER FOLDER [FILE...]   create FOLDER (Maildir++
#                      .A.B; LIST shows it, subscribed or not) and add the
#                      FILEs as mailbox_fill does. Parents are not created:
#                      with only "Archive.2024", LIST shows "Archive" as
#                      (\Noselect \HasChildren), a non-selectable parent
#   folder_count USER FOLDER       messages in FOLDER (\Deleted ones too)
#   folder_dir USER FOLDER         its directory (the Maildir for INBOX)
#   mutf7 NAME                     NAME (UTF-8) in modified UTF-7
# Through Dovecot's IMAP (the user's password from dovecot_add_user; do
# not call these while postfetch has a session open):
#   mailbox_flags USER [FOLDER]    one line per message, in UID order: its
#                      flags, sorted, without \Recent ("", "\Seen",
#                      "\Deleted \Seen")
#   mailbox_uids USER [FOLDER]     the UIDs, one a line
#   mailbox_set_flags USER FOLDER UIDS FLAG...   UID STORE on the UID set
#                      UIDS ("1:*", "2,4"): add each FLAG ('\Deleted'),
#                      remove those written -FLAG ('-\Seen')
#   folder_uidvalidity USER FOLDER its UIDVALIDITY (STATUS)
#   folder_recreate USER FOLDER    FOLDER again with the same messages
#                      (bytes, INTERNALDATE, flags, order) under a new
#                      UIDVALIDITY, UIDs from 1: its Dovecot indexes and
#                      uidlist are removed; fails if UIDVALIDITY stayed
#   dovecot_imap USER CMD...       mailclient logged in as USER on IMAP
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
	case "${PF_DOVECOT_SEPARATOR:-.}" in
	. | /) ;;
	*) echo "PF_DOVECOT_SEPARATOR must be . or /" >&2; return 1 ;;
	esac
	PF_DOVECOT_CONF=$d/dovecot.conf
	PF_DOVECOT_LOG=$d/dovecot.log
	PF_DOVECOT_AUTH=$d/run/smtpd-auth
	[ -n "${PF_POP3_PORT:-}" ] || PF_POP3_PORT=$(free_port)
	[ -n "${PF_POP3S_PORT:-}" ] || PF_POP3S_PORT=$(free_port)
	[ -n "${PF_IMAP_PORT:-}" ] || PF_IMAP_PORT=$(free_port)
	[ -n "${PF_IMAPS_PORT:-}" ] || PF_IMAPS_PORT=$(free_port)
	export PF_DOVECOT_CONF PF_DOVECOT_LOG PF_DOVECOT_AUTH PF_POP3_PORT PF_POP3S_PORT \
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
	$(_dovecot_namespace)
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
	service auth {
	  # SASL for a test Postfix's smtpd (relay.t)
	  unix_listener smtpd-auth {
	    mode = 0666
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

# The namespace block for PF_DOVECOT_SEPARATOR (none: Maildir++'s ".").
_dovecot_namespace()
{
	case "${PF_DOVECOT_SEPARATOR:-.}" in
	.) ;;
	/) printf 'namespace inbox {\n  inbox = yes\n  separator = /\n}\n' ;;
	esac
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

# Put message files into USER's Maildir/new, byte for byte, in order:
# mailbox_fill [--date DATE] USER FILE...
mailbox_fill()
{
	local datearg=()
	[ "$1" = --date ] && { datearg=(--date "$2"); shift 2; }
	folder_fill "${datearg[@]}" "$1" INBOX "${@:2}"
}

# Number of messages in USER's mailbox on the server.
mailbox_count()
{
	folder_count "$1" INBOX
}

# NAME (UTF-8) in modified UTF-7 (RFC 3501 5.1.3).
mutf7()
{
	/usr/bin/python3 -c '
import base64, sys
name, out, run = sys.argv[1], "", ""
def flush():
    global out, run
    if run:
        b = base64.b64encode(run.encode("utf-16-be")).decode()
        out += "&" + b.rstrip("=").replace("/", ",") + "-"
        run = ""
for ch in name:
    if " " <= ch <= "~":
        flush()
        out += "&-" if ch == "&" else ch
    else:
        run += ch
flush()
print(out)' "$1"
}

# The directory of IMAP folder FOLDER of USER: folder_dir USER FOLDER.
folder_dir()
{
	local name=$2 sep=${PF_DOVECOT_SEPARATOR:-.}
	case "$name" in
	[Ii][Nn][Bb][Oo][Xx]) mailbox_dir "$1"; return ;;
	esac
	LC_ALL=C grep -q '[^ -~]' <<<"$name" && name=$(mutf7 "$name")
	if [ "$sep" = / ]; then
		case "$name" in
		*.*) echo "folder_dir: with separator /, no \".\" in $name" >&2
		    return 1 ;;
		esac
		name=${name//\//.}
	fi
	echo "$(mailbox_dir "$1")/.$name"
}

# Create IMAP folder FOLDER of USER and put message files into its new/,
# byte for byte, in order: folder_fill [--date DATE] USER FOLDER [FILE...]
folder_fill()
{
	local when="" user home dir file seq now tmp
	[ "$1" = --date ] && { when=$2; shift 2; }
	user=$1 home=$PF_TMP/dovecot/mail/$1
	dir=$(folder_dir "$user" "$2") || return 1
	shift 2
	mkdir -p "$PF_TMP/dovecot/mail" "$dir/new" "$dir/cur" "$dir/tmp"
	[ "$dir" = "$(mailbox_dir "$user")" ] || touch "$dir/maildirfolder"
	chown "$PF_USER:$PF_GROUP" "$PF_TMP/dovecot/mail"
	chown -R "$PF_USER:$PF_GROUP" "$home"
	chmod 700 "$home" "$(mailbox_dir "$user")" "$dir" "$dir/new" \
	    "$dir/cur" "$dir/tmp"
	seq=$(cat "$PF_TMP/dovecot/fill.seq" 2>/dev/null || echo 0)
	now=$(date +%s)
	for file in "$@"; do
		seq=$((seq + 1))
		# The names sort in fill order, so UIDs follow it.
		tmp=$dir/tmp/$now.M$(printf %06d "$seq")P$$.pftest
		install -o "$PF_USER" -g "$PF_GROUP" -m 600 "$file" "$tmp" ||
		    return 1
		# Maildir's INTERNALDATE is the file's mtime.
		[ -z "$when" ] || touch -d "$when" "$tmp" || return 1
		mv "$tmp" "$dir/new/"
	done
	echo "$seq" >"$PF_TMP/dovecot/fill.seq"
}

# Number of messages in FOLDER of USER (those marked \Deleted too).
folder_count()
{
	local dir
	dir=$(folder_dir "$1" "$2") || return 1
	find "$dir/new" "$dir/cur" -type f 2>/dev/null | wc -l
}

# mailclient logged in as USER on the plain IMAP port, running CMDs.
dovecot_imap()
{
	local pass
	pass=$(sed -n "s/^$1:{PLAIN}\(.*\)::::::\$/\1/p" \
	    "$PF_TMP/dovecot/users")
	mailclient --user "$1" --password "$pass" imap "$PF_IMAP_PORT" "${@:2}"
}

# FOLDER as an IMAP quoted string (modified UTF-7).
_imap_folder()
{
	local name=$1
	LC_ALL=C grep -q '[^ -~]' <<<"$name" && name=$(mutf7 "$name")
	name=${name//\\/\\\\}
	printf '"%s"' "${name//\"/\\\"}"
}

# "UID FLAGS" of each message of FOLDER (default INBOX) of USER, by UID
# (flags sorted, without \Recent): _imap_uid_flags CALLER USER [FOLDER]
_imap_uid_flags()
{
	local out
	out=$(dovecot_imap "$2" "EXAMINE $(_imap_folder "${3:-INBOX}")" \
	    "UID FETCH 1:* (UID FLAGS)" LOGOUT) || {
		echo "$1: $out" >&2
		return 1
	}
	/usr/bin/python3 -c '
import re, sys
rows = []
for line in sys.stdin:
    m = re.match(r"S: \* \d+ FETCH \((.*)\)$", line.rstrip("\r\n"))
    if m:
        uid = int(re.search(r"UID (\d+)", m.group(1)).group(1))
        flags = re.search(r"FLAGS \(([^)]*)\)", m.group(1)).group(1).split()
        rows.append((uid, " ".join(sorted(f for f in flags
                                          if f != "\\Recent"))))
for uid, flags in sorted(rows):
    print(uid, flags)' <<<"$out"
}

# The flags of each message of FOLDER (default INBOX), in UID order.
mailbox_flags()
{
	local rows
	rows=$(_imap_uid_flags mailbox_flags "$@") || return 1
	[ -z "$rows" ] || sed 's/^[0-9]* \{0,1\}//' <<<"$rows"
}

# The UIDs of FOLDER (default INBOX), one a line.
mailbox_uids()
{
	local rows
	rows=$(_imap_uid_flags mailbox_uids "$@") || return 1
	[ -z "$rows" ] || cut -d' ' -f1 <<<"$rows"
}

# Add FLAGs to the messages of UID set UIDS, remove the -FLAGs:
# mailbox_set_flags USER FOLDER UIDS FLAG...
mailbox_set_flags()
{
	local user=$1 folder=$2 uids=$3 flag add="" del="" out
	shift 3
	for flag in "$@"; do
		case "$flag" in
		-*) del="$del ${flag#-}" ;;
		*) add="$add $flag" ;;
		esac
	done
	set -- "SELECT $(_imap_folder "$folder")"
	[ -z "$add" ] || set -- "$@" "UID STORE $uids +FLAGS.SILENT (${add# })"
	[ -z "$del" ] || set -- "$@" "UID STORE $uids -FLAGS.SILENT (${del# })"
	out=$(dovecot_imap "$user" "$@" LOGOUT) || {
		echo "mailbox_set_flags: $out" >&2
		return 1
	}
}

# The UIDVALIDITY of FOLDER of USER.
folder_uidvalidity()
{
	dovecot_imap "$1" "STATUS $(_imap_folder "$2") (UIDVALIDITY)" LOGOUT |
	    sed -n 's/^S: \* STATUS .*(UIDVALIDITY \([0-9]*\)).*/\1/p'
}

# FOLDER again with the same messages under a new UIDVALIDITY.
folder_recreate()
{
	local dir old new
	dir=$(folder_dir "$1" "$2") || return 1
	old=$(folder_uidvalidity "$1" "$2")
	[ -n "$old" ] || { echo "folder_recreate: no folder $2" >&2; return 1; }
	# Without its uidlist and indexes (and the list index, which caches
	# the UIDVALIDITY too), Dovecot sees a new mailbox holding the files.
	rm -f "$dir/dovecot-uidlist" "$dir"/dovecot.index* \
	    "$(mailbox_dir "$1")"/dovecot.list.index*
	new=$(folder_uidvalidity "$1" "$2")
	if [ -z "$new" ] || [ "$new" = "$old" ]; then
		echo "folder_recreate: UIDVALIDITY of $2 still $old ($new)" >&2
		return 1
	fi
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
