# Shared set-up of the milter's integration tests (sourced by milter_*.t):
# PostgreSQL with the schema, the milter on a loopback port, and the
# private Postfix with the milter in smtpd_milters and non_smtpd_milters.
#
#   milter_setup           harness_init, then start all three
#   milter_start / milter_stop
#   milter_tag NAME [TIME] [KEY]   a tag for milter_send to sign
#   milter_send SENDER TAG RCPT... sendmail a message (TAG "" = no header;
#                          a milter_tag: bound, the RCPTs in the header)
#   milter_log             what the milter logged so far
#   milter_outage_accounts the accounts of the outage tests: shop (pop3)
#                          and etrn1 (etrn.example), with aliases
# (smtp_session, to talk SMTP to the private smtpd, is in tests/lib/postfix.sh.)

source "$(dirname "$0")/../lib/harness.sh"

MILTER_BIN=${PF_MILTER_BIN:-$PF_BUILD/milter/postfetch-milter}
MILTER_PID=
[ -x "$MILTER_BIN" ] || bail "$MILTER_BIN not built"

# A tag to sign: milter_send binds it to its message as the fetcher does.
# Printed as "sign:NAME:TIME:KEY"; used as a header value as it is, it is
# a malformed tag.
milter_tag()
{
	echo "sign:$1:${2:-$(date +%s)}:${3:-$MILTER_KEY}"
}

# The HMAC-SHA256 tag of tag.h bound to a message: "NAME; t=TIME;
# b=BINDING; mac=HEX", the MAC over "NAME;t=TIME;b=BINDING", BINDING the
# SHA-256 of "id=ID\n" and each recipient followed by "\n".
milter_bound_tag()
{
	local name=$1 when=$2 key=$3 id=$4 binding mac
	shift 4
	binding=$({ printf 'id=%s\n' "$id"; printf '%s\n' "$@"; } |
	    sha256sum | cut -d' ' -f1)
	mac=$(printf '%s;t=%s;b=%s' "$name" "$when" "$binding" |
	    openssl dgst -sha256 -mac HMAC -macopt "hexkey:$key" | sed 's/^.*= //')
	echo "$name; t=$when; b=$binding; mac=$mac"
}

# Send a message through sendmail; its subject is the first recipient. A
# tag from milter_tag is signed like the fetcher's: bound to the message's
# Message-ID and the recipients, which travel in X-Postfetch-Recipients,
# the envelope holding only the placeholder postmaster.
milter_send()
{
	local sender=$1 tag=$2 id="$RANDOM.$RANDOM@test.example" r list
	local -a spec envelope
	shift 2
	envelope=("$@")
	if [[ $tag == sign:* ]]; then
		IFS=: read -r -a spec <<<"$tag"
		tag=$(milter_bound_tag "${spec[1]}" "${spec[2]}" "${spec[3]}" \
		    "$id" "$@")
		envelope=(postmaster)
	fi
	{
		[ -n "$tag" ] && echo "X-Postfetch-Account: $tag"
		if [ "${envelope[*]}" != "$*" ]; then
			list=
			for r in "$@"; do
				list="$list${list:+,}"$'\n\t'"<$r>"
			done
			echo "X-Postfetch-Recipients:$list"
		fi
		echo "From: <$sender>"
		echo "Subject: to $1"
		echo "Message-ID: <$id>"
		echo
		echo "body for $*"
	} | $PF_SENDMAIL -i -f "$sender" -- "${envelope[@]}"
}

# Send one message by SMTP to the recipients given; prints the replies.
smtp_mail()
{
	local rcpt=() r
	for r in "$@"; do
		rcpt+=("RCPT TO:<$r>")
	done
	smtp_session "EHLO mx.provider.example" \
	    "MAIL FROM:<someone@elsewhere.example>" "${rcpt[@]}" "DATA" \
	    $'Subject: by smtp to '"$*"$'\n\nsmtp body\n.' "QUIT"
}

# True while a message is in the incoming or active queue (the maildrop
# may keep mail the milter refused with a temporary failure).
postfix_busy()
{
	postfix_queue | grep -Eq '"queue_name": *"(incoming|active)"'
}

# The accounts of the outage tests: shop, a POP3 account, and etrn1, the
# ETRN account of etrn.example; p.maly@ and a@provider.example, and
# sales@etrn.example have aliases.
milter_outage_accounts()
{
	pg_psql <<-'SQL' || bail "cannot insert the test accounts"
	INSERT INTO postfetch.account (name, protocol, host, username, password)
	    VALUES ('shop', 'pop3', 'pop.provider.example', 'u', 'p');
	INSERT INTO postfetch.account (name, protocol, host, domain)
	    VALUES ('etrn1', 'etrn', 'mx.provider.example', 'etrn.example');
	INSERT INTO postfetch.alias (account_id, remote, local)
	    SELECT id, r, l FROM postfetch.account, (VALUES
		('shop', 'p.maly@provider.example', 'pavel.maly@example.com'),
		('shop', 'a@provider.example', 'alice@example.com'),
		('etrn1', 'sales@etrn.example', 'frank@example.com')) AS v(a, r, l)
	    WHERE name = a;
	SQL
}

# Everything the milter logged.
milter_log()
{
	cat "$PF_TMP/milter.log"
}

# Start the milter in the foreground (logging to $PF_TMP/milter.log).
milter_start()
{
	"$MILTER_BIN" -d -v -c "$PF_TMP/postfetch.conf" \
	    >>"$PF_TMP/milter.log" 2>&1 &
	MILTER_PID=$!
	wait_port "$MILTER_PORT" 10 || bail "the milter does not listen"
}

# Stop the milter (TERM) and wait for it.
milter_stop()
{
	[ -n "$MILTER_PID" ] || return 0
	kill "$MILTER_PID" 2>/dev/null
	wait "$MILTER_PID" 2>/dev/null
	MILTER_PID=
}

# Point the private Postfix at the milter, in both lists.
milter_postfix_lines()
{
	printf '%s\n' "smtpd_milters = inet:127.0.0.1:$MILTER_PORT" \
	    "non_smtpd_milters = inet:127.0.0.1:$MILTER_PORT" \
	    "milter_default_action = tempfail" "milter_protocol = 6"
}

# PostgreSQL + schema, the key, the configuration, the milter, Postfix.
milter_setup()
{
	local lines
	harness_init
	pg_start
	(cd "$PF_TOP/schema" && pg_psql -f postfetch.sql) >/dev/null ||
	    bail "cannot load the schema"
	# The milter logs in with nothing but the grants of postfetch_milter.
	pg_psql -c "CREATE ROLE pf_milter_test LOGIN IN ROLE postfetch_milter" ||
	    bail "cannot create the milter's role"
	MILTER_KEY=$(openssl rand -hex 32)
	echo "$MILTER_KEY" >"$PF_TMP/secret"
	chown "$PF_USER" "$PF_TMP/secret"
	chmod 600 "$PF_TMP/secret"
	MILTER_PORT=$(free_port)
	# The state file's directory belongs to the user, as
	# /var/lib/postfetch does.
	mkdir -p "$PF_TMP/state"
	chown "$PF_USER" "$PF_TMP/state"
	MILTER_STATE=$PF_TMP/state/milter.state
	cat >"$PF_TMP/postfetch.conf" <<-CONF
	# postfetch.conf of a milter test
	database = ${PF_DB/user=postgres/user=pf_milter_test} connect_timeout=5
	secret_file = $PF_TMP/secret
	milter_socket = inet:$MILTER_PORT@127.0.0.1
	milter_state_file = $MILTER_STATE
	user = $PF_USER
	postmaster = postmaster
	CONF
	: >"$PF_TMP/milter.log"
	milter_start
	harness_at_exit milter_stop
	# Mail for the ETRN domain is accepted by SMTP and, should the milter
	# not rewrite it, held as contrib/main.cf.milter holds it: a transport
	# that is no service of master.cf, in defer_transports.
	echo "etrn.example postfetch-held:" >"$PF_TMP/transport"
	mapfile -t lines < <(milter_postfix_lines)
	postfix_start "transport_maps = texthash:$PF_TMP/transport" \
	    "defer_transports = postfetch-held" "${lines[@]}"
}
