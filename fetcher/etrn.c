/*
 * ETRN client (RFC 1985): one short SMTP session per poll, as sequential
 * functions, one per command, over the transport and the SMTP reply
 * reader of smtp.c: greeting, EHLO (HELO when refused), STARTTLS as the
 * account's tls says, "ETRN domain", QUIT. Every read has the timeout
 * and the reader's bounds; the first failure ends the session with a
 * cause that names the step and carries the server's reply.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "account.h"
#include "driver.h"
#include "etrn.h"
#include "log.h"
#include "smtp.h"
#include "transport.h"
#include "xmalloc.h"

#define ETRN_PORT	25	/* SMTP */
#define ETRN_PORT_TLS	465	/* submissions, implicit TLS (RFC 8314) */
#define ETRN_DOMAIN_MAX	255

/* One session. */
struct etrn {
	struct transport	*transport;
	const struct account	*account;
	struct driver_info	*info;
	const char		*host;		/* for traces */
	const char		*hostname;	/* what EHLO says */
	int			 greeted;	/* a greeting was read */
	int			 broken;	/* out of step: no QUIT */
	int			 helo;		/* EHLO refused, HELO used */
	int			 starttls;	/* the last EHLO offered it */
	size_t			 line;		/* in the EHLO reply */
	struct smtp_reply	 reply;		/* the last one */
};

/*
 * Read one reply: its code, or -1 with *cause naming what (the command
 * or "greeting"). each (or NULL) sees every line.
 */
static int
etrn_read(struct etrn *e, const char *what,
    void (*each)(void *, const char *), char **cause)
{
	char	*why = NULL;
	int	 code;

	if ((code = smtp_reply_read(e->transport, &e->reply, each, e,
	    &why)) == -1) {
		e->broken = 1;
		xasprintf(cause, "%s: %s", what, why);
		free(why);
		return -1;
	}
	log_debug("etrn %s: < %s", e->host, e->reply.text);
	return code;
}

/* Send one command and read its reply: the code, or -1 with *cause. */
static int
etrn_exchange(struct etrn *e, const char *what,
    void (*each)(void *, const char *), char **cause, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int
etrn_exchange(struct etrn *e, const char *what,
    void (*each)(void *, const char *), char **cause, const char *fmt, ...)
{
	char	 line[ETRN_COMMAND_MAX], *why = NULL;
	va_list	 ap;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > sizeof(line) - 3 ||
	    strpbrk(line, "\r\n") != NULL) {
		xasprintf(cause, "%s: command too long or malformed", what);
		return -1;
	}
	log_debug("etrn %s: > %s", e->host, line);
	if (transport_write(e->transport, line, n, &why) != 0 ||
	    transport_write(e->transport, "\r\n", 2, &why) != 0 ||
	    transport_flush(e->transport, &why) != 0) {
		e->broken = 1;
		xasprintf(cause, "%s: %s", what, why);
		free(why);
		return -1;
	}
	return etrn_read(e, what, each, cause);
}

/* Note one line of the EHLO reply (the first names the server). */
static void
etrn_extension(void *arg, const char *text)
{
	struct etrn	*e = arg;
	char		*list = e->info->capabilities;
	size_t		 size = sizeof(e->info->capabilities);

	if (e->line++ == 0)
		return;
	if (strncasecmp(text, "STARTTLS", 8) == 0 &&
	    (text[8] == '\0' || text[8] == ' '))
		e->starttls = 1;
	if (strlen(list) + strlen(text) + 2 > size)
		return;
	if (list[0] != '\0')
		strlcat(list, " ", size);
	strlcat(list, text, size);
}

/* EHLO, or HELO when the server refuses it (5xx, RFC 5321 3.2). */
static int
etrn_hello(struct etrn *e, char **cause)
{
	int	 code;

	e->starttls = 0;
	e->line = 0;
	e->info->capabilities[0] = '\0';
	if ((code = etrn_exchange(e, "EHLO", etrn_extension, cause,
	    "EHLO %s", e->hostname)) == -1)
		return -1;
	if (code == 250)
		return 0;
	e->info->capabilities[0] = '\0';
	if (code / 100 != 5) {
		xasprintf(cause, "EHLO refused: %s", e->reply.text);
		return -1;
	}
	e->helo = 1;
	log_debug("etrn %s: EHLO refused, trying HELO", e->host);
	if ((code = etrn_exchange(e, "HELO", NULL, cause, "HELO %s",
	    e->hostname)) == -1)
		return -1;
	if (code != 250) {
		xasprintf(cause, "EHLO and HELO refused: %s", e->reply.text);
		return -1;
	}
	return 0;
}

/* STARTTLS (RFC 3207): 0 TLS is on, 1 the server refused, -1 error. */
static int
etrn_starttls(struct etrn *e, char **cause)
{
	int	 code;

	if ((code = etrn_exchange(e, "STARTTLS", NULL, cause,
	    "STARTTLS")) == -1)
		return -1;
	if (code != 220)
		return 1;
	if (driver_starttls(e->transport, e->account, e->info, cause) != 0) {
		e->broken = 1;
		return -1;
	}
	/* forget what was said in the clear, and ask again */
	return etrn_hello(e, cause);
}

/*
 * STARTTLS where the account needs it, after the first EHLO. ETRN sends
 * no secret, but the rule is the one of POP3 and IMAP, so that tls means
 * the same everywhere: without STARTTLS the session ends (only tls =
 * disable goes on in plain text).
 */
static int
etrn_negotiate(struct etrn *e, enum driver_tls mode, char **cause)
{
	int	 rc;

	if (e->info->tls || mode == DRIVER_TLS_DISABLE)
		return 0;
	if (!e->starttls) {
		*cause = driver_plain_refused(e->account, "%s", e->helo ?
		    "EHLO refused, so no STARTTLS" :
		    "server does not offer STARTTLS");
		return -1;
	}
	if ((rc = etrn_starttls(e, cause)) == 1)
		*cause = driver_plain_refused(e->account, "STARTTLS refused: "
		    "%s", e->reply.text);
	return rc == 0 ? 0 : -1;
}

/* Whether domain can follow "ETRN ": a host name, nothing else. */
static int
etrn_domain_valid(const char *domain)
{
	const char	*c;

	if (domain == NULL || *domain == '\0' ||
	    strlen(domain) > ETRN_DOMAIN_MAX)
		return 0;
	for (c = domain; *c != '\0'; c++) {
		if ((*c < 'a' || *c > 'z') && (*c < 'A' || *c > 'Z') &&
		    (*c < '0' || *c > '9') && *c != '.' && *c != '-' &&
		    *c != '_')
			return 0;
	}
	return 1;
}

/* The session up to the ETRN reply. */
static int
etrn_session(struct etrn *e, char **reply, char **cause)
{
	const struct account	*account = e->account;
	const char		*domain = account->domain;
	enum driver_tls		 mode;
	char			*what;
	int			 code;

	if (driver_tls_mode(account, ETRN_PORT_TLS, &mode, cause) != 0)
		return -1;
	if (!etrn_domain_valid(domain)) {
		xasprintf(cause, "domain %s cannot be sent with ETRN (a host "
		    "name in ASCII is needed)", domain != NULL ? domain :
		    "(none)");
		return -1;
	}
	if (mode == DRIVER_TLS_DIRECT &&
	    driver_starttls(e->transport, account, e->info, cause) != 0)
		return -1;
	if ((code = etrn_read(e, "greeting", NULL, cause)) == -1)
		return -1;
	e->greeted = 1;
	if (code != 220) {
		xasprintf(cause, "greeting: %s", e->reply.text);
		return -1;
	}
	if (etrn_hello(e, cause) != 0 || etrn_negotiate(e, mode, cause) != 0)
		return -1;
	what = xprintf("ETRN %s", domain);
	if ((code = etrn_exchange(e, what, NULL, cause, "ETRN %s",
	    domain)) != -1) {
		if (code >= 250 && code <= 253)
			*reply = xstrdup(e->reply.text);
		else
			xasprintf(cause, "%s: %s", what, e->reply.text);
	}
	free(what);
	return *reply != NULL ? 0 : -1;
}

int
etrn_flush_transport(struct transport *transport,
    const struct account *account, const char *hostname,
    struct driver_info *info, char **reply, char **cause)
{
	struct etrn	 e;
	char		*why = NULL;
	int		 rc;

	memset(&e, 0, sizeof(e));
	e.transport = transport;
	e.account = account;
	e.info = info;
	e.host = account->host != NULL ? account->host : "";
	e.hostname = hostname;
	strlcpy(info->auth_method, "none (ETRN)", sizeof(info->auth_method));
	*reply = NULL;
	rc = etrn_session(&e, reply, cause);
	/* a goodbye while in step; failing, it changes nothing */
	if (e.greeted && !e.broken &&
	    etrn_exchange(&e, "QUIT", NULL, &why, "QUIT") == -1) {
		log_debug("etrn %s: %s", e.host, why);
		free(why);
	}
	transport_free(transport);
	return rc;
}

int
etrn_flush(const struct account *account, int timeout,
    struct driver_info *info, char **reply, char **cause)
{
	struct transport	*transport;
	char			 hostname[256];
	int			 port = account->port;

	memset(info, 0, sizeof(*info));
	*reply = NULL;
	if (account->host == NULL || *account->host == '\0') {
		*cause = xstrdup("no host");
		return -1;
	}
	if (gethostname(hostname, sizeof(hostname)) == -1 ||
	    hostname[0] == '\0')
		strlcpy(hostname, "localhost", sizeof(hostname));
	hostname[sizeof(hostname) - 1] = '\0';
	if (port == 0)
		port = account->tls != NULL &&
		    strcmp(account->tls, "direct") == 0 ? ETRN_PORT_TLS :
		    ETRN_PORT;
	transport = transport_connect(account->host, port, timeout,
	    info->address, sizeof(info->address), cause);
	if (transport == NULL)
		return -1;
	return etrn_flush_transport(transport, account, hostname, info,
	    reply, cause);
}
