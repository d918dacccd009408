/*
 * What the fetcher asks of the local Postfix: its message_size_limit,
 * through the postconf(1) that sits beside the configured sendmail.
 */
#ifndef POSTFIX_H
#define POSTFIX_H

struct conf;

/* The most postconf may print (its warnings and the value). */
#define POSTFIX_OUTPUT_MAX	4096

/*
 * The largest message Postfix accepts, in bytes, 0 for no limit: the
 * configuration's message_size_limit when it is set, else what postconf
 * says. Returns 0, or -1 with *cause when postconf could not tell (the
 * caller warns once and caps nothing).
 */
int	postfix_size_limit(const struct conf *, unsigned long long *limit,
	    char **cause);
/*
 * Whether Postfix's non_smtpd_milters (postconf -xh) names milter_socket,
 * in either spelling (inet:PORT@HOST here, inet:HOST:PORT there). Returns
 * 0, or -1 with *cause: not named, or postconf could not tell.
 */
int	postfix_milter_listed(const struct conf *, char **cause);
/*
 * The postconf command that prints parameter for the Postfix of
 * sendmail_argv: postconf in the same directory as sendmail_argv[0] (or
 * found in PATH like it), with -c DIR when sendmail has -C DIR (or
 * -C DIR/main.cf). NULL-terminated; free with xfreev.
 */
char  **postfix_postconf_argv(char *const sendmail_argv[],
	    const char *parameter);
/*
 * The value postconf -h printed for a size parameter (its last line: a
 * decimal number; warnings may come before it). Returns 0, or -1 with
 * *cause.
 */
int	postfix_parse_size(const char *output, unsigned long long *size,
	    char **cause);

#endif
