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
	long long message_size_limit;	/* bytes; 0 = none, -1 = ask Postfix */
	char	*postmaster;		/* address for unknown recipients */
	char	*secret_file;		/* HMAC key file */
	char	*milter_socket;		/* libmilter syntax */
	char	*milter_state_file;	/* the milter's last ETRN domains */
	int	 max_parallel;		/* accounts polled at once */
	int	 max_per_host;		/* connections to one remote host */
	char	*default_schedule;	/* of accounts without one; "" = always */
	int	 timeout;		/* seconds, every network read/write */
	int	 max_sendmail;		/* sendmails in flight per poll;
					 * 0 = one per CPU core */
	char	*sendmail_mode;		/* "session" (-bs) or "message" (-i) */
	char	*size_mismatch;		/* "refuse" or "deliver" */
	char	*spool_directory;	/* where messages wait for sendmail */
	char	*user;			/* drop root to this user */
	char	*token_command;		/* as written; "" = none */
	char   **token_argv;		/* split on white space, or NULL */
	int	 syslog_facility;	/* LOG_MAIL etc. */
	char	*syslog_name;		/* syslog ident of the fetcher */
	char	*syslog_facility_name;	/* as written ("mail") */
};

#define CONF_LINE_MAX	65536		/* bytes of one logical line */
#define CONF_FILE_MAX	(1024 * 1024)	/* bytes of the whole file */

/*
 * Fill conf with the defaults, then read path. Returns 0, or -1 with *cause
 * set to one line naming file:line and the key ("FILE:LINE: KEY: ...").
 * A missing file is an error unless missing_ok (then defaults apply).
 * On failure conf holds nothing to free.
 */
int	conf_load(struct conf *, const char *path, int missing_ok, char **cause);
/*
 * Fill conf with the defaults, then parse len bytes of buf as the contents
 * of a file called name (used in messages). Same result as conf_load.
 */
int	conf_parse(struct conf *, const char *name, const char *buf, size_t len,
	    char **cause);
/* Free what conf holds and zero it; harmless on a zeroed or freed conf. */
void	conf_free(struct conf *);
/* Print every key with its value, main.cf style (postconf -n like). */
void	conf_print(const struct conf *, FILE *);

#endif
