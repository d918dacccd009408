/* postfetch.conf: Postfix main.cf syntax, the keys of the contract. */
#ifndef CONF_H
#define CONF_H

#include <stdio.h>

#define CONF_DEFAULT_PATH	"/etc/postfetch/postfetch.conf"

struct conf {
	char	*path;			/* the file it was read from */
	char	*database;		/* libpq conninfo or URI */
	char	*sendmail_path;		/* as written */
	char   **sendmail_argv;		/* split on white space, NULL-terminated */
	char	*postmaster;		/* address for unknown recipients */
	char	*secret_file;		/* HMAC key file */
	char	*milter_socket;		/* libmilter syntax */
	int	 max_parallel;		/* accounts polled at once */
	int	 max_per_host;		/* connections to one remote host */
	int	 timeout;		/* seconds, every network read/write */
	char	*user;			/* drop root to this user */
	char	*token_command;		/* as written; "" = none */
	char   **token_argv;		/* split on white space, or NULL */
	int	 syslog_facility;	/* LOG_MAIL etc. */
	char	*syslog_name;		/* syslog ident of the fetcher */
};

/*
 * Fill conf with the defaults, then read path. Returns 0, or -1 with *cause
 * set to one line naming file:line and the key ("FILE:LINE: KEY: ...").
 * A missing file is an error unless missing_ok (then defaults apply).
 */
int	conf_load(struct conf *, const char *path, int missing_ok, char **cause);
void	conf_free(struct conf *);
/* Print every key with its value, main.cf style (postconf -n like). */
void	conf_print(const struct conf *, FILE *);

#endif
