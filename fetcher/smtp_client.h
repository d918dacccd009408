/*
 * The client side of an SMTP session, shared by the fetcher's SMTP
 * clients (etrn.c: ETRN to a provider; smtp_check.c: the check of an
 * account's outgoing server): send a command and read its reply through
 * the bounded reader of smtp.c, EHLO (HELO when refused) noting the
 * extensions, STARTTLS (RFC 3207) and EHLO again, QUIT. Each function
 * returns the reply code or -1 with a cause that names the step; the
 * protocol built on top decides what a code means.
 */
#ifndef SMTP_CLIENT_H
#define SMTP_CLIENT_H

#include <stddef.h>

#include "smtp.h"

struct account;
struct driver_info;
struct transport;

#define SMTP_COMMAND_MAX	512	/* octets of a command line */

/* One session; the caller fills in the first five fields. */
struct smtp_client {
	struct transport	*transport;
	const struct account	*account;	/* host, tls_verify, pin */
	struct driver_info	*info;		/* TLS, EHLO keywords */
	const char		*trace;		/* debug prefix: "etrn" */
	const char		*hostname;	/* what EHLO says */
	int			 greeted;	/* a greeting was read */
	int			 broken;	/* out of step: no QUIT */
	int			 helo;		/* EHLO refused, HELO used */
	int			 starttls;	/* the last EHLO offered it */
	int			 redact;	/* the next command is secret */
	char			 auth[128];	/* its AUTH mechanisms */
	size_t			 line;		/* in the EHLO reply */
	struct smtp_reply	 reply;		/* the last one */
};

/* This host's name for EHLO ("localhost" if it has none). */
void	smtp_client_hostname(char *name, size_t size);
/* Read one reply (the greeting: what = "greeting"); each (or NULL) sees
 * every line. The code, or -1 with *cause "what: why". */
int	smtp_client_read(struct smtp_client *, const char *what,
	    void (*each)(void *, const char *), char **cause);
/* Send one command line and read its reply: the code or -1. With
 * redact set, the trace shows what instead of the line (and redact is
 * cleared). */
int	smtp_client_command(struct smtp_client *, const char *what,
	    void (*each)(void *, const char *), char **cause,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* EHLO, or HELO when the server refuses it (5xx, RFC 5321 3.2): 0 or
 * -1 with *cause. Notes STARTTLS, AUTH and the keywords in info. */
int	smtp_client_hello(struct smtp_client *, char **cause);
/* STARTTLS, the handshake, EHLO again: 0 TLS is on, 1 the server
 * refused (reply in c->reply), -1 error. */
int	smtp_client_starttls(struct smtp_client *, char **cause);
/* QUIT if the session is in step; failing, it changes nothing. */
void	smtp_client_quit(struct smtp_client *);

#endif
