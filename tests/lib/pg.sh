# A throwaway PostgreSQL for the tests (sourced by harness.sh).
#
#   pg_start     initdb (first time) and start on 127.0.0.1:free port; creates
#                database "postfetch"; exports PGHOST PGPORT PGUSER PGDATABASE
#                PF_DB (libpq conninfo) PF_PG_PORT PF_PG_SOCKDIR PF_PG_LOG
#   pg_stop      fast shutdown (data and port are kept)
#   pg_restart   pg_stop + pg_start, same port and data
#   pg_psql ARGS psql -X -q -A -t -v ON_ERROR_STOP=1 against the test database

# Find the newest installed PostgreSQL server binaries.
_pg_bindir()
{
	local d
	d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
	[ -x "$d/initdb" ] || return 1
	echo "$d"
}

# Run a command as the unprivileged service user, from a directory it can read.
_pg_as_user()
{
	(cd "$PF_TMP" && runuser -u "$PF_USER" -- "$@")
}

# Choose the port and directories and export the client environment.
_pg_prepare()
{
	PF_PG_BIN=$(_pg_bindir) || bail "PostgreSQL server binaries not found (run tests/deps.sh)"
	PF_PG_DIR=$PF_TMP/pg
	PF_PG_DATA=$PF_PG_DIR/data
	PF_PG_SOCKDIR=$PF_PG_DIR/run
	PF_PG_LOG=$PF_PG_DIR/log
	[ -n "${PF_PG_PORT:-}" ] || PF_PG_PORT=$(free_port)
	mkdir -p "$PF_PG_DIR" "$PF_PG_SOCKDIR"
	chown "$PF_USER:$PF_GROUP" "$PF_PG_DIR" "$PF_PG_SOCKDIR"
	case ":$PATH:" in
	*":$PF_PG_BIN:"*) ;;
	*) PATH=$PF_PG_BIN:$PATH ;;
	esac
	PGHOST=127.0.0.1
	PGPORT=$PF_PG_PORT
	PGUSER=postgres
	PGDATABASE=postfetch
	PF_DB="host=127.0.0.1 port=$PF_PG_PORT dbname=postfetch user=postgres"
	export PATH PGHOST PGPORT PGUSER PGDATABASE PF_DB PF_PG_PORT \
	    PF_PG_SOCKDIR PF_PG_LOG PF_PG_DATA PF_PG_BIN
}

# initdb into DIR (as the service user; logs into $PF_PG_DIR/initdb.log).
_pg_initdb()
{
	_pg_as_user "$PF_PG_BIN/initdb" -D "$1" -U postgres -A trust -E UTF8 \
	    --locale=C --no-sync >"$PF_PG_DIR/initdb.log" 2>&1 || {
		cat "$PF_PG_DIR/initdb.log" >&2
		return 1
	}
}

# Make the data directory: under tests/run-tests, a copy of one initdb done
# once per run ($PF_RUN_ROOT/pg-template), else a fresh initdb.
_pg_make_data()
{
	local template root=${PF_RUN_ROOT:-${PF_TMP_ROOT:-}}
	if [ -z "$root" ] || [ ! -d "$root" ]; then
		_pg_initdb "$PF_PG_DATA"
		return
	fi
	template=$root/pg-template/$(basename "$(dirname "$PF_PG_BIN")")
	(
		flock 9
		if [ ! -f "$template/PG_VERSION" ]; then
			mkdir -p "$root/pg-template"
			chown "$PF_USER:$PF_GROUP" "$root/pg-template"
			rm -rf "$template"
			_pg_initdb "$template" || exit 1
		fi
	) 9>"$root/pg-template.lock" || return 1
	cp -a "$template" "$PF_PG_DATA"
}

# initdb on first use, start the server, create the database.
_pg_launch()
{
	if [ ! -f "$PF_PG_DATA/PG_VERSION" ]; then
		_pg_make_data || return 1
		cat >>"$PF_PG_DATA/postgresql.conf" <<-EOF
		# postfetch test instance
		listen_addresses = '127.0.0.1'
		port = $PF_PG_PORT
		unix_socket_directories = '$PF_PG_SOCKDIR'
		fsync = off
		synchronous_commit = off
		full_page_writes = off
		shared_buffers = 16MB
		max_connections = 50
		logging_collector = off
		log_min_messages = warning
		EOF
	fi
	_pg_as_user "$PF_PG_BIN/pg_ctl" -D "$PF_PG_DATA" -l "$PF_PG_LOG" \
	    -w -t 60 start >/dev/null 2>&1 || {
		echo "pg_start: PostgreSQL did not start; log:" >&2
		tail -n 20 "$PF_PG_LOG" >&2
		return 1
	}
	if ! "$PF_PG_BIN/psql" -X -q -A -t -d postgres \
	    -c "SELECT 1 FROM pg_database WHERE datname = 'postfetch'" |
	    grep -q 1; then
		"$PF_PG_BIN/psql" -X -q -d postgres -v ON_ERROR_STOP=1 \
		    -c "CREATE DATABASE postfetch" >/dev/null || return 1
	fi
}

# True if the test database answers.
_pg_ready()
{
	[ "$(pg_psql -c 'SELECT 1' 2>/dev/null)" = 1 ]
}

# Start PostgreSQL (initdb the first time); same port and data on a restart.
pg_start()
{
	_pg_prepare || bail "pg_start: cannot prepare"
	_harness_started pg
	_pg_launch || bail "pg_start failed"
	_pg_ready || bail "pg_start: database postfetch does not answer"
}

# Fast shutdown of PostgreSQL; the data directory stays. --fast (used at
# exit): immediate shutdown.
pg_stop()
{
	local mode=fast
	[ "${1:-}" = --fast ] && mode=immediate
	[ -n "${PF_PG_DATA:-}" ] && [ -f "$PF_PG_DATA/postmaster.pid" ] || {
		_harness_stopped pg
		return 0
	}
	_pg_as_user "$PF_PG_BIN/pg_ctl" -D "$PF_PG_DATA" -m "$mode" -w -t 30 \
	    stop >/dev/null 2>&1 ||
	    _pg_as_user "$PF_PG_BIN/pg_ctl" -D "$PF_PG_DATA" -m immediate \
	    -w -t 10 stop >/dev/null 2>&1
	_harness_stopped pg
}

# Stop and start again on the same port with the same data.
pg_restart()
{
	pg_stop
	pg_start
}

# psql against the test database, unaligned, tuples only, stop on error.
pg_psql()
{
	"$PF_PG_BIN/psql" -X -q -A -t -v ON_ERROR_STOP=1 "$@"
}
