/*
 * The check of an account's outgoing server (smtp_check.h), as an SMTP
 * session over smtp_client.c: greeting, EHLO, STARTTLS when smtp_tls
 * says so (direct: TLS from the first byte), AUTH, QUIT. Each failure
 * ends the session with a cause naming the step and the server's reply.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "db.h"
#include "driver.h"
#include "log.h"
#include "sasl.h"
#include "smtp_check.h"
#include "smtp_client.h"
#include "transport.h"
#include "xmalloc.h"

#define SMTP_PORT_SUBMISSION	587	/* RFC 6409 */
#define SMTP_PORT_TLS		465	/* submissions, RFC 8314 */

const struct db_statement smtp_check_statements[] = {
	{ "smtp_check_get",
	  "SELECT smtp_host, smtp_port, smtp_tls, smtp_auth,"
	  " coalesce(smtp_username, username),"
	  " coalesce(smtp_password, password)"
	  " FROM postfetch.account WHERE id = $1 AND smtp_host IS NOT NULL",
	  1 },
	{ NULL, NULL, 0 }
};

/* The outgoing server, as an account of its own for driver_starttls. */
struct smtp_server {
	struct account	 account;	/* host, port, tls, tls_verify */
	int		 auth;
};

/* Read the outgoing server: 1 found, 0 none, -1 error. */
static int
smtp_check_load(struct db *db, const struct account *account,
    struct smtp_server *server, char **cause)
{
	PGresult	*res;
	const char	*params[1];
	char		 id[32];
	int		 i;

	snprintf(id, sizeof(id), "%lld", account->id);
	params[0] = id;
	if ((res = db_exec(db, "smtp_check_get", 1, params, cause)) == NULL)
		return -1;
	if (PQntuples(res) == 0) {
		PQclear(res);
		return 0;
	}
	memset(server, 0, sizeof(*server));
	server->account.name = account->name;
	server->account.tls_verify = account->tls_verify;
	server->account.host = xstrdup(PQgetvalue(res, 0, 0));
	if (!PQgetisnull(res, 0, 1))
		server->account.port = (int)strtol(PQgetvalue(res, 0, 1),
		    NULL, 10);
	server->account.tls = xstrdup(PQgetvalue(res, 0, 2));
	server->auth = strcmp(PQgetvalue(res, 0, 3), "t") == 0;
	for (i = 4; i <= 5; i++) {
		if (PQgetisnull(res, 0, i))
			continue;
		if (i == 4)
			server->account.username =
			    xstrdup(PQgetvalue(res, 0, i));
		else
			server->account.password =
			    xstrdup(PQgetvalue(res, 0, i));
	}
	explicit_bzero(PQgetvalue(res, 0, 5), PQgetlength(res, 0, 5));
	PQclear(res);
	if (server->account.port == 0)
		server->account.port = strcmp(server->account.tls,
		    "direct") == 0 ? SMTP_PORT_TLS : SMTP_PORT_SUBMISSION;
	return 1;
}

static void
smtp_check_free(struct smtp_server *server)
{
	free(server->account.host);
	free(server->account.tls);
	free(server->account.username);
	sasl_free(server->account.password);
}

/* Whether the EHLO reply's AUTH line lists mechanism. */
static int
smtp_check_offers(const struct smtp_client *c, const char *mechanism)
{
	const char	*p = c->auth;
	size_t		 len = strlen(mechanism);

	while ((p = strcasestr(p, mechanism)) != NULL) {
		if ((p == c->auth || p[-1] == ' ') &&
		    (p[len] == '\0' || p[len] == ' '))
			return 1;
		p += len;
	}
	return 0;
}

/* AUTH PLAIN or LOGIN; the secrets never reach the trace. */
static int
smtp_check_auth(struct smtp_client *c, const struct account *server,
    char **cause)
{
	char		*what, *secret;
	const char	*mechanism;
	int		 code;

	if (!c->info->tls) {
		xasprintf(cause, "AUTH: refused to send a password without "
		    "TLS");
		return -1;
	}
	if (smtp_check_offers(c, "PLAIN"))
		mechanism = "PLAIN";
	else if (smtp_check_offers(c, "LOGIN"))
		mechanism = "LOGIN";
	else {
		xasprintf(cause, "AUTH: the server offers neither PLAIN nor "
		    "LOGIN (AUTH %s)", c->auth[0] != '\0' ? c->auth :
		    "not offered");
		return -1;
	}
	strlcpy(c->info->auth_method, mechanism,
	    sizeof(c->info->auth_method));
	what = xprintf("AUTH %s as %s", mechanism, server->username);
	if (strcmp(mechanism, "PLAIN") == 0) {
		secret = sasl_plain(server->username, server->password);
		c->redact = 1;
		code = smtp_client_command(c, what, NULL, cause,
		    "AUTH PLAIN %s", secret);
	} else {
		secret = sasl_base64_encode(server->username,
		    strlen(server->username));
		code = smtp_client_command(c, what, NULL, cause,
		    "AUTH LOGIN");
		if (code == 334) {
			c->redact = 1;
			code = smtp_client_command(c, what, NULL, cause,
			    "%s", secret);
		}
		sasl_free(secret);
		secret = sasl_base64_encode(server->password,
		    strlen(server->password));
		if (code == 334) {
			c->redact = 1;
			code = smtp_client_command(c, what, NULL, cause,
			    "%s", secret);
		}
	}
	sasl_free(secret);
	if (code != -1 && code != 235)
		xasprintf(cause, "%s: %s", what, c->reply.text);
	free(what);
	return code == 235 ? 0 : -1;
}

/* The session up to AUTH. */
static int
smtp_check_session(struct smtp_client *c, const struct smtp_server *server,
    char **cause)
{
	const char	*mode = server->account.tls;
	int		 code;

	if (strcmp(mode, "direct") == 0 && driver_starttls(c->transport,
	    &server->account, c->info, cause) != 0)
		return -1;
	if ((code = smtp_client_read(c, "greeting", NULL, cause)) == -1)
		return -1;
	c->greeted = 1;
	if (code != 220) {
		xasprintf(cause, "greeting: %s", c->reply.text);
		return -1;
	}
	if (smtp_client_hello(c, cause) != 0)
		return -1;
	if (strcmp(mode, "starttls") == 0) {
		if (!c->starttls) {
			*cause = xstrdup(c->helo ? "EHLO refused, so no "
			    "STARTTLS" : "server does not offer STARTTLS");
			return -1;
		}
		if ((code = smtp_client_starttls(c, cause)) == 1)
			xasprintf(cause, "STARTTLS refused: %s",
			    c->reply.text);
		if (code != 0)
			return -1;
	}
	if (server->auth)
		return smtp_check_auth(c, &server->account, cause);
	return 0;
}

/* Print what the session found, as far as it got. */
static void
smtp_check_print(FILE *out, const struct driver_info *info)
{
	if (info->address[0] != '\0')
		fprintf(out, "smtp connected: %s\n", info->address);
	if (info->tls) {
		fprintf(out, "smtp TLS:      %s, %s\n", info->tls_version,
		    info->tls_cipher);
		fprintf(out, "smtp certificate: %s (%s)\n", info->tls_subject,
		    info->tls_verified ? "verified" : "NOT verified");
	} else if (info->address[0] != '\0')
		fprintf(out, "smtp TLS:      none\n");
	if (info->capabilities[0] != '\0')
		fprintf(out, "smtp capabilities: %s\n", info->capabilities);
}

int
smtp_check_run(struct db *db, const struct account *account, int timeout,
    FILE *out, int rc, char **cause)
{
	struct smtp_server	 server;
	struct smtp_client	 c;
	struct driver_info	 info;
	char			 hostname[256], trace[300], *why = NULL;
	int			 found, failed;

	if ((found = smtp_check_load(db, account, &server, &why)) == 0)
		return rc;
	memset(&info, 0, sizeof(info));
	memset(&c, 0, sizeof(c));
	if (found == 1) {
		fprintf(out, "smtp server:   %s:%d (tls %s%s, %s%s)\n",
		    server.account.host, server.account.port,
		    server.account.tls, server.account.tls_verify ? "" :
		    " without verification", server.auth ? "auth as " :
		    "no auth", server.auth ? server.account.username : "");
		smtp_client_hostname(hostname, sizeof(hostname));
		snprintf(trace, sizeof(trace), "smtp %s", server.account.host);
		c.account = &server.account;
		c.info = &info;
		c.trace = trace;
		c.hostname = hostname;
		c.transport = transport_connect(server.account.host,
		    server.account.port, timeout, info.address,
		    sizeof(info.address), &why);
		failed = c.transport == NULL ||
		    smtp_check_session(&c, &server, &why) != 0;
		if (c.transport != NULL) {
			smtp_client_quit(&c);
			transport_free(c.transport);
		}
		smtp_check_print(out, &info);
		if (!failed && server.auth)
			fprintf(out, "smtp auth:     %s as %s\n",
			    info.auth_method, server.account.username);
		fprintf(out, "smtp result:   %s%s\n", failed ? "failed: " :
		    "ok", failed ? why : "");
		if (failed) {
			char *one = xprintf("smtp %s:%d: %s",
			    server.account.host, server.account.port, why);
			free(why);
			why = one;
		}
		smtp_check_free(&server);
	} else
		failed = 1;
	if (!failed)
		return rc;
	if (rc != 0 && *cause != NULL) {
		char *both = xprintf("%s; %s", *cause, why);
		free(*cause);
		free(why);
		why = both;
	} else
		free(*cause);
	*cause = why;
	return -1;
}
