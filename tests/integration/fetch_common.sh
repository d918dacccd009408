# Shared setup of the fetch_*.t integration tests (sourced after the
# harness): services, schema, postfetch.conf, accounts, running postfetch.
#
#   fetch_setup [--selfsigned]   harness_init, certificates, PostgreSQL +
#                                Postfix + Dovecot, schema, $PF_CONF
#   fetch_conf [LINE...]         (re)write $PF_CONF; LINEs are appended
#   account_add NAME COL=VALUE...  insert a pop3 account (values are SQL)
#   fetch_run ARGS...            run postfetch -v -c $PF_CONF ARGS; stdout
#                                in $PF_OUT, the log lines in $PF_LOG
#   fetch_poll NAME...           fetch_run poll NAME...
#   sql QUERY                    one value from the test database

PF_POSTFETCH=$PF_BUILD/fetcher/postfetch
PF_CONF=
PF_OUT=
PF_LOG=
PF_RC=

# Start everything a fetch test needs and write the configuration.
fetch_setup()
{
	[ -x "$PF_POSTFETCH" ] || skip_all "$PF_POSTFETCH not built"
	harness_init
	certs_make
	harness_start pg postfix dovecot "$@"
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

# Write postfetch.conf; arguments are extra "key = value" lines.
fetch_conf()
{
	local line
	{
		echo "# postfetch test configuration"
		echo "database = $PF_DB"
		echo "sendmail_path = $PF_SENDMAIL"
		echo "postmaster = postmaster@example.com"
		echo "secret_file = $PF_TMP/secret"
		echo "timeout = 20"
		# Postfix's sendmail -C works only for root (postdrop checks
		# alternate_config_directories otherwise).
		echo "user = root"
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

# Insert a pop3 account: account_add NAME host="'localhost'" port=N ...
# Defaults: host localhost, username NAME, password "secret".
account_add()
{
	local name=$1 columns="name, protocol" values="'$1', 'pop3'" arg
	shift
	case " $* " in *" host="*) ;; *) set -- host="'localhost'" "$@" ;; esac
	case " $* " in *" username="*) ;; *) set -- username="'$name'" "$@" ;; esac
	case " $* " in *" password="*) ;; *) set -- password="'secret'" "$@" ;; esac
	for arg in "$@"; do
		columns="$columns, ${arg%%=*}"
		values="$values, ${arg#*=}"
	done
	sql "INSERT INTO postfetch.account ($columns) VALUES ($values)" >/dev/null
}

# Run postfetch; PF_RC is its exit status, PF_OUT its output, and the log
# lines of this run are in PF_LOG (appended to $PF_TMP/all.log too).
fetch_run()
{
	SSL_CERT_FILE=$PF_TEST_CA "$PF_POSTFETCH" -v -c "$PF_CONF" "$@" \
	    >"$PF_OUT" 2>"$PF_LOG"
	PF_RC=$?
	cat "$PF_LOG" >>"$PF_TMP/all.log"
	return 0
}

fetch_poll()
{
	fetch_run poll "$@"
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
