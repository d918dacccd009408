/*
 * ETRN client (RFC 1985): one short SMTP session per poll, as sequential
 * functions, one per command, over the SMTP client of smtp_client.c
 * (the transport and the reply reader of smtp.c): greeting, EHLO (HELO when refused), STARTTLS as the
 * account's tls says, "ETRN domain", QUIT. Every read has the timeout
 * and the reader's bounds; the first failure ends the session with a
 * cause that names the step and carries the server's reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "driver.h"
#include "etrn.h"
#include "log.h"
#include "smtp_client.h"
#include "transport.h"
#include "xmalloc.h"

#define ETRN_PORT	25	/* SMTP */
#define ETRN_PORT_TLS	465	/* submissions, implicit TLS (RFC 8314) */
#define ETRN_DOMAIN_MAX	255

/* One session. */
struct etrn {
	struct smtp_client	 c;
	char			 trace[300];	/* "etrn host" */
};

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

	if (e->c.info->tls || mode == DRIVER_TLS_DISABLE)
		return 0;
	if (!e->c.starttls) {
		*cause = driver_plain_refused(e->c.account, "%s", e->c.helo ?
		    "EHLO refused, so no STARTTLS" :
		    "server does not offer STARTTLS");
		return -1;
	}
	if ((rc = smtp_client_starttls(&e->c, cause)) == 1)
		*cause = driver_plain_refused(e->c.account, "STARTTLS refused: "
		    "%s", e->c.reply.text);
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
	const struct account	*account = e->c.account;
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
	    driver_starttls(e->c.transport, account, e->c.info, cause) != 0)
		return -1;
	if ((code = smtp_client_read(&e->c, "greeting", NULL, cause)) == -1)
		return -1;
	e->c.greeted = 1;
	if (code != 220) {
		xasprintf(cause, "greeting: %s", e->c.reply.text);
		return -1;
	}
	if (smtp_client_hello(&e->c, cause) != 0 ||
	    etrn_negotiate(e, mode, cause) != 0)
		return -1;
	what = xprintf("ETRN %s", domain);
	if ((code = smtp_client_command(&e->c, what, NULL, cause, "ETRN %s",
	    domain)) != -1) {
		if (code >= 250 && code <= 253)
			*reply = xstrdup(e->c.reply.text);
		else
			xasprintf(cause, "%s: %s", what, e->c.reply.text);
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
	int		 rc;

	memset(&e, 0, sizeof(e));
	snprintf(e.trace, sizeof(e.trace), "etrn %s",
	    account->host != NULL ? account->host : "");
	e.c.transport = transport;
	e.c.account = account;
	e.c.info = info;
	e.c.trace = e.trace;
	e.c.hostname = hostname;
	strlcpy(info->auth_method, "none (ETRN)", sizeof(info->auth_method));
	*reply = NULL;
	rc = etrn_session(&e, reply, cause);
	smtp_client_quit(&e.c);
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
	smtp_client_hostname(hostname, sizeof(hostname));
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
