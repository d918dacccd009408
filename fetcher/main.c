/*
 * postfetch: the fetcher's command line. poll, check and status run once
 * and exit; run is the daemon.
 */
#include <sys/types.h>

#include <errno.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "db.h"
#include "log.h"
#include "engine.h"
#include "postfix.h"
#include "privs.h"
#include "store.h"
#include "tag.h"
#include "worker.h"
#include "xmalloc.h"

#define EXIT_OK		0
#define EXIT_FAILED	1	/* a poll or check failed */
#define EXIT_USAGE	2	/* usage or configuration error */

static int	 log_stderr = 1;	/* log lines also go to stderr */

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: postfetch [-v] [-c file] poll [name ...]\n"
	    "       postfetch [-v] [-c file] check name\n"
	    "       postfetch [-v] [-c file] status\n"
	    "       postfetch [-v] [-c file] run\n");
	exit(EXIT_USAGE);
}

/* A start-up error: one line on stderr, and in syslog once it is set up. */
static void __attribute__((noreturn, format(printf, 2, 3)))
die(int status, const char *fmt, ...)
{
	char	 line[1024];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!log_stderr)
		fprintf(stderr, "postfetch: error: %s\n", line);
	log_err("%s", line);
	exit(status);
}

/*
 * Started as root: become conf->user (its uid, gid and only its gid as
 * group list) and make sure root cannot be regained.
 */
static void
drop_privileges(const struct conf *conf)
{
	struct passwd	*pw;
	char		*cause;

	if (geteuid() != 0)
		return;
	if (conf->user == NULL || conf->user[0] == '\0')
		die(EXIT_USAGE, "%s: user: must be set when started as root",
		    conf->path);
	errno = 0;
	if ((pw = getpwnam(conf->user)) == NULL)
		die(EXIT_USAGE, "user %s: %s", conf->user, errno != 0 ?
		    strerror(errno) : "no such user");
	if (privs_drop(pw, &cause) != 0)
		die(EXIT_USAGE, "%s", cause);
	log_debug("running as user %s", conf->user);
}

/*
 * Postfix's message_size_limit, which caps every account's max_size: a
 * larger message would only be refused by sendmail at every poll. When
 * postconf cannot tell, one warning, and nothing is capped.
 */
static unsigned long long
size_limit(const struct conf *conf)
{
	unsigned long long	 limit;
	char			*cause = NULL;

	if (postfix_size_limit(conf, &limit, &cause) == 0) {
		log_debug("message_size_limit %llu%s", limit,
		    conf->message_size_limit < 0 ? " (from postconf)" : "");
		return limit;
	}
	log_warnx("Postfix's message_size_limit is not known, no message is "
	    "left on the server for it: %s", cause);
	free(cause);
	return 0;
}

/* "host:pid": who claims accounts and writes poll rows. */
static char *
owner_name(void)
{
	char	 host[256];

	if (gethostname(host, sizeof(host)) == -1)
		strlcpy(host, "localhost", sizeof(host));
	host[sizeof(host) - 1] = '\0';
	return xprintf("%s:%ld", host, (long)getpid());
}

/*
 * poll [NAME...]: poll each named account, or every active one; one in
 * this process, several in workers, in parallel within the limits.
 */
static int
command_poll(struct engine_context *context, char **argv)
{
	char	**names = NULL, *cause = NULL;
	int	  status;

	if (argv[0] != NULL && argv[1] == NULL)
		return engine_poll_account(context, argv[0]) == 0 ? EXIT_OK :
		    EXIT_FAILED;
	if (argv[0] != NULL)
		return scheduler_poll(context, argv);
	if (account_names_allowed(context->db,
	    context->conf->default_schedule, time(NULL), &names, &cause) != 0)
		die(EXIT_FAILED, "database: %s", cause);
	status = scheduler_poll(context, names);
	account_names_free(names);
	return status;
}

/*
 * SIGHUP in the daemon: read the configuration again. A bad one is
 * logged and the old one stays; user and secret_file keep the values
 * read at start (root is gone by now).
 */
static int
reload(struct engine_context *context, void *arg)
{
	struct conf	*conf = arg, fresh;
	struct db	*db = NULL;
	char		*cause = NULL;

	if (conf_load(&fresh, conf->path, 0, &cause) != 0) {
		log_warnx("%s; the configuration stays as it was", cause);
		free(cause);
		return -1;
	}
	if (strcmp(fresh.database, conf->database) != 0) {
		db = store_db_new(fresh.database, context->owner);
		if (db_connect(db, &cause) != 0) {
			log_warnx("database: %s; the configuration stays as "
			    "it was", cause);
			free(cause);
			db_free(db);
			conf_free(&fresh);
			return -1;
		}
		db_free(context->db);
		context->db = db;
	}
	conf_free(conf);
	*conf = fresh;
	context->max_sendmail = conf->max_sendmail > 0 ?
	    (size_t)conf->max_sendmail : engine_default_sendmail();
	context->size_limit = size_limit(conf);
	return 0;
}

/* run: the daemon. */
static int
command_run(struct engine_context *context, char **argv)
{
	(void)argv;
	return scheduler_run(context, reload, (void *)context->conf);
}

/* Warn when Postfix would not hand fetched mail to the milter. */
static void
milter_listed(const struct engine_context *context)
{
	char	*cause = NULL;

	if (postfix_milter_listed(context->conf, &cause) != 0) {
		log_warnx("%s", cause);
		free(cause);
	}
}

/* check NAME */
static int
command_check(struct engine_context *context, char **argv)
{
	milter_listed(context);
	return check_account(context, argv[0], stdout) == 0 ? EXIT_OK :
	    EXIT_FAILED;
}

/* status */
static int
command_status(struct engine_context *context, char **argv)
{
	char	*cause = NULL;

	(void)argv;
	milter_listed(context);
	if (status_print(context->db, context->conf->default_schedule, stdout,
	    &cause) != 0)
		die(EXIT_FAILED, "database: %s", cause);
	return EXIT_OK;
}

static const struct command {
	const char	*name;
	int		 min_args, max_args;	/* -1: no maximum */
	int		 needs_key;		/* signs messages, caps sizes */
	int		(*run)(struct engine_context *, char **argv);
} commands[] = {
	{ "poll",	0, -1,	1, command_poll },
	{ "check",	1, 1,	0, command_check },
	{ "status",	0, 0,	0, command_status },
	{ "run",	0, 0,	1, command_run },
};

/* The command called name with argc arguments, or usage. */
static const struct command *
command_find(const char *name, int argc)
{
	size_t	 i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, name) != 0)
			continue;
		if (argc < commands[i].min_args ||
		    (commands[i].max_args != -1 &&
		    argc > commands[i].max_args))
			usage();
		return &commands[i];
	}
	usage();
}

int
main(int argc, char **argv)
{
	struct conf		 conf;
	struct engine_context	 context;
	unsigned char		 key[TAG_KEY_LEN];
	const struct command	*command;
	const char		*path = CONF_DEFAULT_PATH;
	char			*cause = NULL;
	int			 ch, verbose = 0, status;

	log_init("postfetch", LOG_MAIL, 1, 0);
	while ((ch = getopt(argc, argv, "c:v")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	command = command_find(argv[0], argc - 1);
	argv++;

	if (conf_load(&conf, path, 0, &cause) != 0)
		die(EXIT_USAGE, "%s", cause);
	/*
	 * Log lines go to syslog always, and to stderr too when a person is
	 * watching (stderr is a terminal) or -v asks for it; -vv adds debug.
	 */
	log_stderr = isatty(STDERR_FILENO) || verbose > 0;
	log_init(conf.syslog_name, conf.syslog_facility, log_stderr, 1);
	log_setverbose(verbose > 1);
	signal(SIGPIPE, SIG_IGN);
	engine_catch_signals();

	memset(&context, 0, sizeof(context));
	if (command->needs_key) {
		if (tag_load_key(conf.secret_file, privs_user_uid(conf.user),
		    key, &cause) != 0)
			die(EXIT_USAGE, "%s", cause);
		context.key = key;
	}
	drop_privileges(&conf);
	if (command->needs_key)
		context.size_limit = size_limit(&conf);
	context.conf = &conf;
	context.max_sendmail = conf.max_sendmail > 0 ?
	    (size_t)conf.max_sendmail : engine_default_sendmail();
	context.owner = owner_name();
	context.db = store_db_new(conf.database, context.owner);
	if (db_connect(context.db, &cause) != 0)
		die(EXIT_FAILED, "database: %s", cause);

	status = command->run(&context, argv);
	explicit_bzero(key, sizeof(key));
	db_free(context.db);
	free((char *)context.owner);
	conf_free(&conf);
	if (fflush(stdout) == EOF || ferror(stdout))
		die(EXIT_FAILED, "standard output: %s", strerror(errno));
	return status;
}
