/*
 * postfetch-milter: read the configuration and the tag key, open the
 * milter socket as root, hand it to the postfetch user, drop root, start
 * the directory cache and serve Postfix until told to stop.
 */
#include <sys/stat.h>
#include <sys/types.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <pwd.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "cache.h"
#include "conf.h"
#include "glue.h"
#include "log.h"
#include "privs.h"
#include "tag.h"
#include "xmalloc.h"

#define SOCKET_MODE	0660	/* the user and its group (add postfix to it) */

/* Print the usage and exit 2. */
static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: postfetch-milter [-dv] [-c file]\n");
	exit(2);
}

/* A configuration problem: say it and exit 2. */
static void __attribute__((noreturn, format(printf, 1, 2)))
config_error(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "postfetch-milter: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* The file system path of a unix-domain milter socket, or NULL. */
static const char *
socket_path(const char *spec)
{
	if (strncmp(spec, "unix:", 5) == 0)
		return spec + 5;
	if (strncmp(spec, "local:", 6) == 0)
		return spec + 6;
	if (spec[0] == '/')
		return spec;
	return NULL;
}

/* Create the socket; a unix one is given to the user so Postfix can share it. */
static void
open_socket(const char *spec, const struct passwd *pw)
{
	struct stat	 sb;
	const char	*path;

	if (smfi_setconn((char *)spec) != MI_SUCCESS)
		config_error("milter_socket %s: not usable", spec);
	if (smfi_opensocket(1) != MI_SUCCESS)
		fatalx("milter_socket %s: cannot open it", spec);
	if ((path = socket_path(spec)) == NULL)
		return;
	/*
	 * Never follow a link here: whoever can write the socket's directory
	 * could otherwise have root hand them any file.
	 */
	if (lstat(path, &sb) == -1)
		fatal("milter_socket %s", path);
	if (!S_ISSOCK(sb.st_mode))
		fatalx("milter_socket %s: not a socket", path);
	if (pw != NULL && lchown(path, pw->pw_uid, pw->pw_gid) == -1)
		fatal("chown %s", path);
	if (fchmodat(AT_FDCWD, path, SOCKET_MODE, AT_SYMLINK_NOFOLLOW) == -1)
		fatal("chmod %s", path);
}


int
main(int argc, char *argv[])
{
	struct conf		 conf;
	struct passwd		*pw = NULL;
	unsigned char		 key[TAG_KEY_LEN];
	const char		*path = CONF_DEFAULT_PATH;
	char			*cause, *name;
	sigset_t		 signals;
	int			 ch, foreground = 0, verbose = 0, status, error;

	while ((ch = getopt(argc, argv, "c:dv")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'd':
			foreground = 1;
			break;
		case 'v':
			verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	log_init("postfetch-milter", LOG_MAIL, 1, 0);
	if (conf_load(&conf, path, 0, &cause) != 0)
		config_error("%s", cause);
	if (geteuid() == 0 && (pw = getpwnam(conf.user)) == NULL)
		config_error("%s: user %s: no such user", conf.path, conf.user);
	if (tag_load_key(conf.secret_file, pw != NULL ? pw->pw_uid :
	    geteuid(), key, &cause) != 0)
		config_error("%s", cause);

	xasprintf(&name, "%s-milter", conf.syslog_name);
	log_init(name, conf.syslog_facility, foreground, !foreground);
	log_setverbose(verbose);

	if (glue_register(key, conf.postmaster) != 0)
		fatalx("smfi_register failed");
	explicit_bzero(key, sizeof key);
	open_socket(conf.milter_socket, pw);
	if (pw != NULL && privs_drop(pw, &cause) != 0)
		fatalx("%s", cause);

	/*
	 * libmilter takes SIGTERM, SIGINT and SIGHUP with sigwait() in a
	 * thread of its own; the cache's thread must not get them first.
	 */
	sigemptyset(&signals);
	sigaddset(&signals, SIGTERM);
	sigaddset(&signals, SIGINT);
	sigaddset(&signals, SIGHUP);
	if ((error = pthread_sigmask(SIG_BLOCK, &signals, NULL)) != 0)
		fatalx("pthread_sigmask: %s", strerror(error));
	cache_start(conf.database, conf.milter_state_file);
	log_info("started on %s", conf.milter_socket);
	status = smfi_main();
	log_info("stopped");
	cache_stop();
	glue_cleanup();
	conf_free(&conf);
	free(name);
	return status == MI_SUCCESS ? 0 : 1;
}
