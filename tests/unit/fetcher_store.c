/*
 * Tests for fetcher/store.c and fetcher/account.c against a real
 * PostgreSQL with the postfetch schema, whose conninfo is in PF_DB
 * (tests/run-tests gives it a throwaway one through tests/lib/with-pg.sh,
 * as does tests/integration/fetch_claim.t; run alone without PF_DB, it
 * skips every test and says why): claims as advisory locks held by one
 * session, taken over at once from a session that is gone, never
 * stacked, released on every path; the mailbox generation of an account.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "../../fetcher/account.h"
#include "../../fetcher/store.h"
#include "db.h"
#include "log.h"
#include "tap.h"
#include "xmalloc.h"

#define OWNER_A		"host-a:1"
#define OWNER_B		"host-b:2"
#define LEASE		600

/* What the tests ask the database, beside the fetcher's statements. */
static const struct db_statement admin_statements[] = {
	{ "id", "SELECT id FROM postfetch.account WHERE name = $1", 1 },
	{ "lease",
	  "SELECT coalesce(lease_owner, '-') FROM postfetch.account"
	  " WHERE id = $1::bigint", 1 },
	/* The sessions holding the claim of an account (low 32 bits). */
	{ "holders",
	  "SELECT coalesce(string_agg(pid::text, ',' ORDER BY pid), '-')"
	  " FROM pg_locks WHERE locktype = 'advisory' AND granted"
	  " AND classid = 1885757795 AND objsubid = 2"
	  " AND objid = ($1::bigint & 4294967295)::oid", 1 },
	/* How often a backend holds locks of the claim class (stacking). */
	{ "count",
	  "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'"
	  " AND classid = 1885757795 AND pid = $1::int", 1 },
	{ "terminate", "SELECT pg_terminate_backend($1::int, 10000)", 1 },
	{ NULL, NULL, 0 }
};

static const char	*conninfo;
static struct db	*admin;

/* The first value of an admin statement, as a string to free, or NULL. */
static char *
ask(const char *name, const char *param)
{
	const char	*params[1] = { param };
	PGresult	*res;
	char		*v = NULL, *cause = NULL;

	if ((res = db_exec(admin, name, 1, params, &cause)) == NULL) {
		diag("%s: %s", name, cause);
		free(cause);
		return NULL;
	}
	if (PQntuples(res) > 0)
		v = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return v;
}

/* Run SQL as the administrator; the test fails if it does. */
static void
run(const char *sql)
{
	char	*cause = NULL;

	if (db_command(admin, sql, &cause) != 0) {
		ok(0, "admin: %s", sql);
		diag("%s", cause);
		free(cause);
	}
}

/* is_str on an admin answer about account id. */
static void
is_answer(const char *name, long long id, const char *want, const char *what)
{
	char	 param[32], *v;

	snprintf(param, sizeof(param), "%lld", id);
	v = ask(name, param);
	is_str(v, want, "%s", what);
	free(v);
}

/* The pid of a fetcher handle's backend, as text ("" if not connected). */
static const char *
backend(struct db *db, char *buf, size_t size)
{
	PGconn	*conn = db_conn(db);

	snprintf(buf, size, "%d", conn != NULL ? PQbackendPID(conn) : 0);
	return buf;
}

/* Insert an account called name (id forced if id > 0); returns its id. */
static long long
account_new(const char *name, long long id)
{
	char		 sql[512], forced[64] = "";
	char		*v;
	long long	 got;

	if (id > 0)
		snprintf(forced, sizeof(forced), "%lld, ", id);
	snprintf(sql, sizeof(sql), "INSERT INTO postfetch.account (%sname, "
	    "protocol, host, username, password) %sVALUES (%s'%s', 'pop3', "
	    "'pop.example.com', 'u', 'p')", id > 0 ? "id, " : "",
	    id > 0 ? "OVERRIDING SYSTEM VALUE " : "", forced, name);
	run(sql);
	v = ask("id", name);
	got = v != NULL ? strtoll(v, NULL, 10) : -1;
	free(v);
	return got;
}

/* store_claim, printing the cause of an error. */
static int
claim(struct db *db, long long id, const char *owner)
{
	char	*cause = NULL;
	int	 rc;

	rc = store_claim(db, id, owner, LEASE, &cause);
	if (rc == -1)
		diag("store_claim: %s", cause);
	free(cause);
	return rc;
}

/* store_account_done for a successful poll; returns its result. */
static int
done(struct db *db, long long id, const char *owner, const char *error,
    char **cause)
{
	return store_account_done(db, id, owner, 0, 0, error, cause);
}

/* A mailbox that changes is another generation; the fetcher loads it. */
static void
test_generation(struct db *a)
{
	struct account	 account;
	char		*cause = NULL;
	int		 active;

	account_new("generation", 0);
	if (!is_int(account_get(a, "generation", &account, &active, &cause),
	    1, "account_get finds the account"))
		diag("%s", cause != NULL ? cause : "no row");
	is_int(account.mailbox_generation, 0, "a new account: generation 0");
	account_free(&account);
	run("UPDATE postfetch.account SET host = 'pop.example.net'"
	    " WHERE name = 'generation'");
	account_get(a, "generation", &account, &active, &cause);
	is_int(account.mailbox_generation, 1,
	    "another host: account_get loads generation 1");
	account_free(&account);
	free(cause);
}

/* One session claims; another is told it is busy; no stacking. */
static void
test_claim(struct db *a, struct db *b)
{
	long long	 id;
	char		 pid[32], *count, *cause = NULL;

	id = account_new("claimed", 0);
	is_int(claim(a, id, OWNER_A), 1, "a free account is claimed");
	is_answer("lease", id, OWNER_A, "the lease names the owner");
	is_answer("holders", id, backend(a, pid, sizeof(pid)),
	    "the claiming session holds the lock");
	is_int(claim(a, id, OWNER_A), 1, "renewed by the same session");
	is_int(claim(a, id, OWNER_A), 1, "and again");
	count = ask("count", backend(a, pid, sizeof(pid)));
	is_str(count, "1", "renewals do not stack the lock");
	free(count);
	is_int(claim(b, id, OWNER_B), 0, "another session: busy");
	is_answer("lease", id, OWNER_A, "the busy claim leaves the lease");
	is_int(done(a, id, OWNER_A, NULL, &cause), 0, "the poll is recorded");
	free(cause);
	cause = NULL;
	is_answer("holders", id, "-", "the lock is released");
	is_answer("lease", id, "-", "and the lease cleared");
	is_int(claim(b, id, OWNER_B), 1, "then the other session claims it");
	is_answer("lease", id, OWNER_B, "its lease");
	store_release(b, id, OWNER_B);
	is_answer("holders", id, "-", "store_release releases the lock");
	is_answer("lease", id, "-", "and clears the lease");

	/* A lease alone (a dead fetcher's, any age) does not block. */
	run("UPDATE postfetch.account SET lease_owner = 'dead:9',"
	    " lease_until = now() + interval '1 hour' WHERE name = 'claimed'");
	is_int(claim(a, id, OWNER_A), 1,
	    "an unexpired lease without a lock is taken over");
	is_answer("lease", id, OWNER_A, "and overwritten");
	store_release(a, id, OWNER_A);
	is_int(claim(a, 999999999, OWNER_A), -1, "no such account: error");
	store_release(a, 999999999, OWNER_A);
	is_answer("holders", 999999999, "-", "store_release lets go of it");
}

/*
 * The session of a claim ends (a crash, a restart of the server): the
 * lock is gone at once; the holder takes it again on renewal if it is
 * still free, and learns it lost it if another session has it.
 */
static void
test_lost_session(struct db *a, struct db *b)
{
	long long	 id;
	char		 pid[32], pid_b[32], *cause = NULL;

	id = account_new("lost", 0);
	is_int(claim(a, id, OWNER_A), 1, "claimed");
	backend(a, pid, sizeof(pid));
	free(ask("terminate", pid));
	is_answer("holders", id, "-", "the session ends: no lock left");
	is_int(claim(a, id, OWNER_A), 1,
	    "renewal reconnects and takes the free lock again");
	is_answer("holders", id, backend(a, pid, sizeof(pid)),
	    "held by the new session");

	free(ask("terminate", pid));
	is_int(claim(b, id, OWNER_B), 1,
	    "another fetcher takes over at once");
	is_int(claim(a, id, OWNER_A), 0,
	    "the renewal of the first reports the claim lost");
	is_int(done(a, id, OWNER_A, NULL, &cause), -1,
	    "the first one's poll is not recorded");
	is_str(cause, "the claim was lost to another fetcher",
	    "and says why");
	free(cause);
	cause = NULL;
	is_answer("holders", id, backend(b, pid_b, sizeof(pid_b)),
	    "the other fetcher keeps its lock");
	is_answer("lease", id, OWNER_B, "and its lease");
	is_int(done(b, id, OWNER_B, NULL, &cause), 0,
	    "the other fetcher's poll is recorded");
	free(cause);
}

/* A failed status update still lets go of the lock. */
static void
test_release_on_failure(struct db *a, struct db *b)
{
	long long	 id;
	char		*cause = NULL;

	id = account_new("failing", 0);
	run("CREATE FUNCTION public.refuse_done() RETURNS trigger"
	    " LANGUAGE plpgsql AS $$ BEGIN"
	    " IF NEW.last_error = 'refuse' THEN"
	    " RAISE EXCEPTION 'test: status refused'; END IF;"
	    " RETURN NEW; END $$");
	run("CREATE TRIGGER refuse_done BEFORE UPDATE ON postfetch.account"
	    " FOR EACH ROW EXECUTE FUNCTION public.refuse_done()");
	is_int(claim(a, id, OWNER_A), 1, "claimed");
	is_int(done(a, id, OWNER_A, "refuse", &cause), -1,
	    "the status update fails");
	ok(cause != NULL && strstr(cause, "status refused") != NULL,
	    "with the database's cause: %s", cause != NULL ? cause : "NULL");
	free(cause);
	is_answer("holders", id, "-", "the lock is released all the same");
	is_int(claim(b, id, OWNER_B), 1, "so another fetcher can claim it");
	store_release(b, id, OWNER_B);
	run("DROP TRIGGER refuse_done ON postfetch.account");
}

/* Ids above 2^31: the key is the low 32 bits as an int4. */
static void
test_large_id(struct db *a, struct db *b)
{
	long long	 id;
	char		 pid[32];

	id = account_new("large", 3000000000LL);
	is_int(id, 3000000000LL, "an account with a large id");
	is_int(claim(a, id, OWNER_A), 1, "is claimed");
	is_answer("holders", id, backend(a, pid, sizeof(pid)),
	    "its lock is the id's low 32 bits");
	is_int(claim(b, id, OWNER_B), 0, "busy for another session");
	store_release(a, id, OWNER_A);
	is_answer("holders", id, "-", "and released");
}

int
main(void)
{
	struct db	*a, *b;
	char		*cause = NULL;

	log_init("fetcher_store", LOG_MAIL, 1, 0);
	if ((conninfo = getenv("PF_DB")) == NULL) {
		printf("1..0 # SKIP no PF_DB: needs a PostgreSQL with the "
		    "schema (tests/run-tests starts one; or run it under "
		    "tests/lib/with-pg.sh)\n");
		return 0;
	}
	admin = db_new(conninfo, admin_statements);
	a = store_db_new(conninfo, "test:1");
	b = store_db_new(conninfo, "test:2");
	if (db_connect(a, &cause) != 0 || db_connect(b, &cause) != 0 ||
	    db_connect(admin, &cause) != 0) {
		printf("Bail out! %s\n", cause);
		return 1;
	}
	test_generation(a);
	test_claim(a, b);
	test_lost_session(a, b);
	test_release_on_failure(a, b);
	test_large_id(a, b);
	db_free(a);
	db_free(b);
	db_free(admin);
	return done_testing();
}
