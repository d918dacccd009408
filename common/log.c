/*
 * Logging to syslog, and to stderr when running in the foreground.
 * Lines follow Postfix style: "name[pid]: text" in the mail log, and
 * "name: text" on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"

static char	 log_ident[64] = "postfetch";
static int	 log_to_stderr = 1;
static int	 log_to_syslog;
static int	 log_verbose;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const struct {
	const char	*name;
	int		 facility;
} facilities[] = {
	{ "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
	{ "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
	{ "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
	{ "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
	{ "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
};

/* The syslog facility with this name, or -1. */
int
log_facility_byname(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(facilities) / sizeof(facilities[0]); i++) {
		if (strcasecmp(facilities[i].name, name) == 0)
			return facilities[i].facility;
	}
	return -1;
}

void
log_init(const char *name, int facility, int to_stderr, int to_syslog)
{
	strlcpy(log_ident, name, sizeof(log_ident));
	log_to_stderr = to_stderr;
	if (log_to_syslog)
		closelog();
	log_to_syslog = to_syslog;
	if (to_syslog)
		openlog(log_ident, LOG_PID | LOG_NDELAY, facility);
}

void
log_setverbose(int verbose)
{
	log_verbose = verbose;
}

const char *
log_name(void)
{
	return log_ident;
}

/*
 * Write one line at a priority, with Postfix's "warning: "-style prefix;
 * errnum != 0 appends its text.
 */
static void __attribute__((format(printf, 3, 0)))
log_vwrite(int priority, int errnum, const char *fmt, va_list ap)
{
	char		 line[4096];
	const char	*prefix;
	int		 n;

	n = vsnprintf(line, sizeof(line), fmt, ap);
	if (n >= 0 && errnum != 0 && (size_t)n < sizeof(line))
		snprintf(line + n, sizeof(line) - n, ": %s", strerror(errnum));
	if (priority <= LOG_CRIT)
		prefix = "fatal: ";
	else if (priority == LOG_ERR)
		prefix = "error: ";
	else if (priority == LOG_WARNING)
		prefix = "warning: ";
	else
		prefix = "";
	pthread_mutex_lock(&log_lock);
	if (log_to_syslog)
		syslog(priority, "%s%s", prefix, line);
	if (log_to_stderr) {
		fprintf(stderr, "%s: %s%s\n", log_ident, prefix, line);
		fflush(stderr);
	}
	pthread_mutex_unlock(&log_lock);
}

void
log_debug(const char *fmt, ...)
{
	va_list	 ap;

	if (log_verbose <= 0)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, 0, fmt, ap);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, 0, fmt, ap);
	va_end(ap);
}

void
log_warn(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, saved, fmt, ap);
	va_end(ap);
	errno = saved;
}

void
log_warnx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, 0, fmt, ap);
	va_end(ap);
}

void
log_err(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_ERR, 0, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	 ap;
	int	 saved = errno;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, 0, fmt, ap);
	va_end(ap);
	exit(1);
}
