# A private Postfix instance for the tests (sourced by harness.sh).
#
#   postfix_start [LINE...]  start it; each LINE (and each line of
#                      $PF_POSTFIX_EXTRA) is appended to main.cf, e.g.
#                      "smtpd_milters = inet:127.0.0.1:$port" (on the first
#                      start; to change a running or stopped one: postfix_set)
#   postfix_stop, postfix_reload
#   postfix_set "KEY = VALUE"...   change main.cf (postconf -e), then reload
#   postfix_flush            postqueue -f, and pickup rescans the maildrop
#                      (it does by itself every 5 s: mail a milter refused
#                      with a temporary failure waits there)
#   postfix_wait_idle [T]    wait until nothing is in flight (maildrop,
#                      incoming, active empty; deferred/hold may remain)
#   postfix_queue_count      messages in the queue (all queues)
#   postfix_held_count       messages on hold; postfix_deferred_count
#   postfix_recorder         add the pipe transport "recorder" to
#                      master.cf: it appends what it gets to
#                      $PF_TMP/recorder/got
#   smtp_session CMD...      talk SMTP to the private smtpd: each CMD is
#                      sent (\n becomes CRLF), then one reply read; prints
#                      the replies, greeting first
#
# Exports PF_POSTFIX_CONF (config_directory), PF_SMTP_PORT, PF_MAILLOG,
# PF_SENDMAIL ("/usr/sbin/sendmail -C $PF_POSTFIX_CONF").
# Mail for LOCALPART@example.com (or @localhost) is delivered by local(8)
# into the maildir $PF_TMP/mail/LOCALPART/ (created on first delivery), with
# a Delivered-To header. Mail for any other domain bounces: nothing leaves.
# The local parts that exist are listed in the alias table (local(8) allows
# no $1 substitution in regexp alias tables, nor socketmap): every system
# user, postmaster, abuse, mailer-daemon, $PF_POSTFIX_DEFAULT_USERS, the
# names in $PF_MAIL_USERS, and those added with postfix_add_mailbox. Mail to
# any other local part bounces with "unknown user" (SMTP: 550).
#   postfix_add_mailbox NAME...    make LOCALPART(s) exist (reloads Postfix)
#
# A second instance beside it (e.g. a provider that relays to the first),
# under $PF_TMP/postfix2 with its own main.cf, queue, log and smtpd port,
# stopped at exit like the first:
#   postfix_second_start ["KEY = VALUE"...]  start it; the given main.cf
#                      settings replace the defaults above (postconf -e)
#   postfix_second CMD [ARG...]   run any helper of this file on it:
#                      postfix_second postfix_queue_count, ... smtp_session
#   postfix_second_stop
# Exports PF_SECOND_CONF, PF_SECOND_SMTP_PORT, PF_SECOND_MAILLOG,
# PF_SECOND_SENDMAIL. Its local(8) delivers to $PF_TMP/mail/ as well.

# Local parts that always exist (besides the system users).
PF_POSTFIX_DEFAULT_USERS="postmaster abuse mailer-daemon fallback pavel.maly
alice bob carol chuck dave eve erin faythe frank grace heidi ivan judy mallory
mike niaj olivia oscar peggy rupert sybil ted trent trudy victor walter wendy
user1 user2 user3 user4 user5 user6 user7 user8 user9"

# Debian's daemon_directory (postconf is slow: one second per call).
PF_POSTFIX_DAEMONS=/usr/lib/postfix/sbin

# Write main.cf, master.cf and the alias table.
_postfix_prepare()
{
	local line top=${PF_POSTFIX_TOP:-$PF_TMP/postfix}
	PF_POSTFIX_CONF=$top/etc
	PF_MAILLOG=$top/maillog
	PF_SENDMAIL="/usr/sbin/sendmail -C $PF_POSTFIX_CONF"
	[ -n "${PF_SMTP_PORT:-}" ] || PF_SMTP_PORT=$(free_port)
	export PF_POSTFIX_CONF PF_MAILLOG PF_SENDMAIL PF_SMTP_PORT
	[ -f "$PF_POSTFIX_CONF/main.cf" ] && return 0

	mkdir -p "$PF_POSTFIX_CONF" "$top/queue" "$top/data" "$PF_TMP/mail"
	chown "$PF_USER:$PF_GROUP" "$PF_TMP/mail"
	chown postfix "$top/data"
	: >"$PF_MAILLOG"
	cat >"$PF_POSTFIX_CONF/main.cf" <<-EOF
	# Private Postfix instance of a postfetch test: nothing leaves the host.
	compatibility_level = 3.6
	queue_directory = $top/queue
	data_directory = $top/data
	myhostname = mx.example.com
	mydomain = example.com
	myorigin = \$mydomain
	mydestination = example.com localhost
	inet_interfaces = 127.0.0.1
	inet_protocols = ipv4
	mynetworks = 127.0.0.0/8
	default_transport = error:remote delivery disabled in tests
	relay_transport = error:remote delivery disabled in tests
	alias_maps = texthash:$PF_POSTFIX_CONF/aliases
	alias_database =
	local_recipient_maps = \$alias_maps
	forward_path =
	mail_spool_directory = $top/spool
	default_privs = $PF_USER
	maillog_file = $PF_MAILLOG
	maillog_file_prefixes = $top
	append_dot_mydomain = no
	biff = no
	mailbox_size_limit = 0
	delay_warning_time = 0
	in_flow_delay = 0
	queue_run_delay = 5s
	minimal_backoff_time = 5s
	maximal_backoff_time = 30s
	smtpd_banner = \$myhostname ESMTP test
	EOF
	for line in "$@"; do
		echo "$line" >>"$PF_POSTFIX_CONF/main.cf"
	done
	[ -n "${PF_POSTFIX_EXTRA:-}" ] &&
	    printf '%s\n' "$PF_POSTFIX_EXTRA" >>"$PF_POSTFIX_CONF/main.cf"

	_postfix_write_aliases

	cat >"$PF_POSTFIX_CONF/master.cf" <<-EOF
	# service type  private unpriv  chroot  wakeup  maxproc command
	127.0.0.1:$PF_SMTP_PORT inet n - n - - smtpd
	pickup    unix  n       -       n       5       1       pickup
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	tlsmgr    unix  -       -       n       1000?   1       tlsmgr
	proxymap  unix  -       -       n       -       -       proxymap
	proxywrite unix -       -       n       -       1       proxymap
	smtp      unix  -       -       n       -       -       smtp
	relay     unix  -       -       n       -       -       smtp
	showq     unix  n       -       n       -       -       showq
	error     unix  -       -       n       -       -       error
	retry     unix  -       -       n       -       -       error
	discard   unix  -       -       n       -       -       discard
	local     unix  -       n       n       -       -       local
	lmtp      unix  -       -       n       -       -       lmtp
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

# Write the alias table: each local part to its maildir.
_postfix_write_aliases()
{
	local name
	{
		echo "# local part -> maildir (made by tests/lib/postfix.sh)"
		{
			getent passwd | cut -d: -f1
			printf '%s\n' $PF_POSTFIX_DEFAULT_USERS ${PF_MAIL_USERS:-}
			cat "${PF_POSTFIX_TOP:-$PF_TMP/postfix}/users" 2>/dev/null
		} | tr 'A-Z' 'a-z' | sort -u | while read -r name; do
			case "$name" in
			"" | owner-* | .* | */*) continue ;;
			esac
			echo "$name $PF_TMP/mail/$name/"
		done
	} >"$PF_POSTFIX_CONF/aliases.new"
	mv "$PF_POSTFIX_CONF/aliases.new" "$PF_POSTFIX_CONF/aliases"
}

# Make local parts exist (mail to them lands in $PF_TMP/mail/NAME/).
postfix_add_mailbox()
{
	printf '%s\n' "$@" >>"${PF_POSTFIX_TOP:-$PF_TMP/postfix}/users"
	[ -f "$PF_POSTFIX_CONF/main.cf" ] || return 0
	_postfix_write_aliases
	_postfix_master_pid >/dev/null && postfix_reload
	return 0
}

# Create the queue directories (what "postfix start" would, but faster).
_postfix_make_queue()
{
	local q=${PF_POSTFIX_TOP:-$PF_TMP/postfix}/queue d
	for d in active bounce corrupt defer deferred flush hold incoming \
	    private saved trace; do
		install -d -o postfix -g root -m 700 "$q/$d"
	done
	install -d -o postfix -g postdrop -m 730 "$q/maildrop"
	install -d -o postfix -g postdrop -m 710 "$q/public"
	install -d -o root -g root -m 755 "$q/pid"
}

# Start the master directly ("postfix start" takes three seconds).
_postfix_launch()
{
	local log=${PF_POSTFIX_TOP:-$PF_TMP/postfix}/start.log
	[ -x "$PF_POSTFIX_DAEMONS/master" ] ||
	    PF_POSTFIX_DAEMONS=$(postconf -h daemon_directory)
	_postfix_make_queue || return 1
	# In the background ("master -w" sleeps for seconds before returning),
	# from a subshell, so it is no child of the test: a bare "wait" in a
	# test must not wait for it.
	(MAIL_CONFIG=$PF_POSTFIX_CONF "$PF_POSTFIX_DAEMONS/master" \
	    -c "$PF_POSTFIX_CONF" >"$log" 2>&1 </dev/null &)
	wait_until 10 _postfix_master_pid >/dev/null || {
		cat "$log" "$PF_MAILLOG" >&2
		return 1
	}
}

# The pid of the running master, if any.
_postfix_master_pid()
{
	local pid
	pid=$(tr -d ' ' 2>/dev/null \
	    <"${PF_POSTFIX_TOP:-$PF_TMP/postfix}/queue/pid/master.pid")
	[ -n "$pid" ] && pf_alive "$pid" && echo "$pid"
}

# True if smtpd answers.
_postfix_ready()
{
	wait_port "$PF_SMTP_PORT" 10
}

# Start the private Postfix; arguments are extra main.cf lines.
postfix_start()
{
	_postfix_prepare "$@" || bail "postfix_start: cannot prepare"
	_harness_started "${PF_POSTFIX_SERVICE:-postfix}"
	_postfix_launch || bail "postfix_start failed"
	_postfix_ready || bail "postfix_start: smtpd does not answer on $PF_SMTP_PORT"
}

# Run CMD ARGS with every helper of this file pointed at the second
# instance (the variables are local: the first instance's stay as they are).
postfix_second()
{
	local PF_POSTFIX_TOP=$PF_TMP/postfix2 PF_POSTFIX_SERVICE=postfix_second
	local PF_POSTFIX_CONF=$PF_TMP/postfix2/etc PF_POSTFIX_EXTRA=
	local PF_MAILLOG=$PF_TMP/postfix2/maillog
	local PF_SENDMAIL="/usr/sbin/sendmail -C $PF_TMP/postfix2/etc"
	local PF_SMTP_PORT=$PF_SECOND_SMTP_PORT
	"$@"
}

# Start the second instance; arguments are main.cf settings that replace
# the defaults ("key = value", as postconf -e takes them).
postfix_second_start()
{
	[ -n "${PF_SECOND_SMTP_PORT:-}" ] || PF_SECOND_SMTP_PORT=$(free_port)
	PF_SECOND_CONF=$PF_TMP/postfix2/etc
	PF_SECOND_MAILLOG=$PF_TMP/postfix2/maillog
	PF_SECOND_SENDMAIL="/usr/sbin/sendmail -C $PF_SECOND_CONF"
	export PF_SECOND_CONF PF_SECOND_SMTP_PORT PF_SECOND_MAILLOG \
	    PF_SECOND_SENDMAIL
	postfix_second _postfix_prepare ||
	    bail "postfix_second_start: cannot prepare"
	[ "$#" -eq 0 ] || postconf -c "$PF_SECOND_CONF" -e "$@" ||
	    bail "postfix_second_start: postconf -e $*"
	postfix_second postfix_start
}

# Stop the second instance.
postfix_second_stop()
{
	[ -n "${PF_SECOND_CONF:-}" ] || return 0
	postfix_second postfix_stop
}

# Stop the private Postfix (and its master, should it linger).
postfix_stop()
{
	local pid
	[ -n "${PF_POSTFIX_CONF:-}" ] || return 0
	pid=$(_postfix_master_pid)
	if [ -n "$pid" ]; then
		kill -TERM "$pid"
		wait_until 5 "! pf_alive $pid" || kill -KILL "$pid" 2>/dev/null
	fi
	_harness_stopped "${PF_POSTFIX_SERVICE:-postfix}"
	return 0
}

# Make Postfix re-read main.cf and master.cf (as "postfix reload" does).
postfix_reload()
{
	local pid old
	pid=$(_postfix_master_pid) || return 1
	old=$(pgrep -P "$pid" | tr '\n' ' ')
	kill -HUP "$pid"
	# The old daemons run on the old settings until they exit (~1 s).
	wait_until 5 "! pf_alive $old"
	return 0
}

# Set main.cf parameters ("key = value" each) and reload if running.
postfix_set()
{
	postconf -c "$PF_POSTFIX_CONF" -e "$@" || return 1
	_postfix_master_pid >/dev/null && postfix_reload
	return 0
}

# Ask Postfix to retry deferred mail and rescan the maildrop now.
postfix_flush()
{
	# (postkick may die of SIGPIPE when pickup closes first: harmless.)
	postkick -c "$PF_POSTFIX_CONF" public pickup W 2>/dev/null
	postqueue -c "$PF_POSTFIX_CONF" -f
}

# Print the queue as JSON lines (postqueue -j).
postfix_queue()
{
	postqueue -c "$PF_POSTFIX_CONF" -j 2>/dev/null
}

# Number of messages in all queues.
postfix_queue_count()
{
	postfix_queue | grep -c '"queue_name"'
}

# Number of messages on hold.
postfix_held_count()
{
	postfix_queue | grep -c '"queue_name": *"hold"'
}

# Number of deferred messages.
postfix_deferred_count()
{
	postfix_queue | grep -c '"queue_name": *"deferred"'
}

# Wait (TIMEOUT s, default 30) until no message is in flight: every message
# is delivered, bounced, deferred or held.
postfix_wait_idle()
{
	wait_until "${1:-30}" "! _postfix_in_flight"
}

# True if a message is in the maildrop, incoming or active queue.
_postfix_in_flight()
{
	postfix_queue | grep -Eq '"queue_name": *"(maildrop|incoming|active)"'
}

# A pipe transport "recorder" that appends every message it gets to
# $PF_TMP/recorder/got ("=== to: RCPT" first): point a transport at it to
# prove that nothing was handed there.
postfix_recorder()
{
	mkdir -p "$PF_TMP/recorder"
	: >"$PF_TMP/recorder/got"
	printf '#!/bin/sh\n{ echo "=== to: $*"; cat; } >>"%s"\n' \
	    "$PF_TMP/recorder/got" >"$PF_TMP/recorder/record"
	chmod 755 "$PF_TMP/recorder/record"
	chown -R "$PF_USER" "$PF_TMP/recorder"
	postconf -c "$PF_POSTFIX_CONF" -M -e "recorder/unix=recorder unix - n n - - pipe user=$PF_USER argv=$PF_TMP/recorder/record \${recipient}"
}

# Talk SMTP to the private smtpd: each argument is sent (\n becomes CRLF),
# then one reply is read; prints the replies.
smtp_session()
{
	perl -MIO::Socket::INET -e '
		alarm 30;
		my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$ENV{PF_SMTP_PORT}")
		    or die "connect: $!\n";
		$s->autoflush(1);
		sub reply {
			my $r = "";
			while (my $l = <$s>) { $r .= $l; last if $l =~ /^\d{3} / }
			print $r;
		}
		reply();
		for my $cmd (@ARGV) {
			$cmd =~ s/\n/\r\n/g;
			print $s "$cmd\r\n";
			reply();
		}' "$@"
}
