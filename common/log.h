/* Logging to syslog, and to stderr when running in the foreground. */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

/*
 * name: the syslog ident (and the stderr prefix); facility: LOG_MAIL etc.;
 * to_stderr: also (or only, when syslog is off) write to stderr;
 * to_syslog: send to syslog. verbose > 0 enables log_debug.
 */
void	log_init(const char *name, int facility, int to_stderr, int to_syslog);
void	log_setverbose(int);
const char *log_name(void);
int	log_facility_byname(const char *);

void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_err(const char *, ...) __attribute__((format(printf, 1, 2)));

/* fatal: the environment is broken (appends errno); fatalx: no errno. Exit 1. */
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
