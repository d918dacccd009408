/*
 * Logging in to an IMAP server: LOGIN, and AUTHENTICATE (RFC 4959
 * SASL-IR when offered) with PLAIN, LOGIN, CRAM-MD5 and XOAUTH2. The
 * method is chosen in auth.c; LOGINDISABLED rules out LOGIN. An XOAUTH2
 * token the server calls invalid or expired is fetched again from
 * token_command once. Secrets are wiped after use and never traced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "auth.h"
#include "driver.h"
#include "imap_session.h"
#include "log.h"
#include "sasl.h"
#include "xmalloc.h"

#define IMAP_CHALLENGE_MAX	4096

/* One AUTHENTICATE exchange in progress. */
struct imap_sasl {
	char	 tag[IMAP_TAG_MAX + 1];
	char	 challenge[IMAP_CHALLENGE_MAX];	/* text after "+ " */
	int	 expired;	/* XOAUTH2: the server refused the token */
};

/*
 * Read to the next continuation (1, its text in s->challenge) or the
 * tagged end (0 for OK; -1 with *cause for NO, BAD or an error).
 */
static int
imap_sasl_step(struct imap *i, struct imap_sasl *s, char **cause)
{
	struct imap_response	*r;
	const char		*text;
	int			 status;

	if (imap_flush(i, cause) != 0)
		return -1;
	for (;;) {
		if (imap_next(i, NULL, &r, cause) != 0)
			return -1;
		if (strcmp(r->tag, "+") == 0) {
			text = imap_string(r->text);
			strlcpy(s->challenge, text != NULL ? text : "",
			    sizeof(s->challenge));
			imap_response_free(r);
			return 1;
		}
		if (strcmp(r->tag, s->tag) == 0)
			break;
		imap_response_free(r);
		if (i->broken != NULL)
			return imap_break(i, i->broken, cause);
	}
	status = r->status;
	imap_response_free(r);
	if (status == IMAP_OK)
		return 0;
	xasprintf(cause, "login failed: %s", i->reply);
	return -1;
}

/* Send one SASL response line (redacted in the trace). */
static int
imap_sasl_send(struct imap *i, const char *response, char **cause)
{
	return imap_put(i, response, "<redacted>", cause);
}

/*
 * Start AUTHENTICATE mechanism: the first response inline with SASL-IR
 * when the line is not too long, else after the server's first "+".
 * NULL: no first response (the server speaks first). Returns 0 when the
 * first response went, 1 with a challenge waiting, -1 with *cause.
 */
static int
imap_sasl_start(struct imap *i, struct imap_sasl *s, const char *mechanism,
    const char *response, char **cause)
{
	char	 trace[64];
	int	 rc;

	snprintf(trace, sizeof(trace), "AUTHENTICATE %s <redacted>",
	    mechanism);
	if (response != NULL && (i->caps & IMAP_CAP_SASL_IR) &&
	    strlen(response) + 64 < IMAP_COMMAND_MAX)
		return imap_command(i, s->tag, cause, trace,
		    "AUTHENTICATE %s %s", mechanism,
		    *response == '\0' ? "=" : response);
	if (imap_command(i, s->tag, cause, NULL, "AUTHENTICATE %s",
	    mechanism) != 0)
		return -1;
	if ((rc = imap_sasl_step(i, s, cause)) != 1)
		return rc == 0 ? imap_break(i, "login ended early", cause) :
		    -1;
	if (response == NULL)
		return 1;
	return imap_sasl_send(i, response, cause);
}

/*
 * Read to the end of the exchange. A challenge now is the server's
 * error report (XOAUTH2's JSON): answer it empty to get the final NO.
 */
static int
imap_sasl_finish(struct imap *i, struct imap_sasl *s, char **cause)
{
	int	 rc, rounds = 0;

	while ((rc = imap_sasl_step(i, s, cause)) == 1) {
		if (sasl_xoauth2_expired(s->challenge))
			s->expired = 1;
		if (++rounds > 2 || imap_sasl_send(i, "", cause) != 0)
			return imap_break(i, "login did not end", cause);
	}
	return rc;
}

/* CRAM-MD5 and LOGIN: the server speaks first. */
static int
imap_sasl_challenged(struct imap *i, struct imap_sasl *s,
    enum auth_method method, const char *user, const char *secret,
    char **cause)
{
	char	*response;
	int	 rc;

	if (imap_sasl_start(i, s, method == AUTH_CRAM_MD5 ? "CRAM-MD5" :
	    "LOGIN", NULL, cause) != 1)
		return -1;
	if (method == AUTH_CRAM_MD5) {
		if ((response = sasl_cram_md5(user, secret,
		    s->challenge)) == NULL) {
			xasprintf(cause, "CRAM-MD5: bad challenge: %s",
			    s->challenge);
			return imap_break(i, "bad challenge", NULL);
		}
		rc = imap_sasl_send(i, response, cause);
		sasl_free(response);
		return rc;
	}
	response = sasl_base64_encode(user, strlen(user));
	rc = imap_sasl_send(i, response, cause);
	sasl_free(response);
	if (rc != 0 || imap_sasl_step(i, s, cause) != 1)
		return -1;
	response = sasl_base64_encode(secret, strlen(secret));
	rc = imap_sasl_send(i, response, cause);
	sasl_free(response);
	return rc;
}

/* Run one method; *expired is set when an XOAUTH2 token was refused. */
static int
imap_auth_run(struct imap *i, enum auth_method method, const char *user,
    const char *secret, int *expired, char **cause)
{
	struct imap_sasl	 s;
	const char		*args[2];
	char			*response = NULL;
	int			 rc;

	memset(&s, 0, sizeof(s));
	*expired = 0;
	switch (method) {
	case AUTH_PASSWORD:
		args[0] = user;
		args[1] = secret;
		if (imap_command_strings(i, s.tag, "LOGIN", args, 2, 1,
		    cause) != 0)
			return -1;
		if ((rc = imap_wait(i, s.tag, NULL, NULL, cause)) == -1)
			return -1;
		if (rc != IMAP_OK) {
			xasprintf(cause, "login failed: %s", i->reply);
			return -1;
		}
		return 0;
	case AUTH_CRAM_MD5:
	case AUTH_LOGIN:
		if (imap_sasl_challenged(i, &s, method, user, secret,
		    cause) != 0)
			return -1;
		break;
	case AUTH_PLAIN:
	case AUTH_XOAUTH2:
		response = method == AUTH_PLAIN ? sasl_plain(user, secret) :
		    sasl_xoauth2(user, secret);
		rc = imap_sasl_start(i, &s, method == AUTH_PLAIN ? "PLAIN" :
		    "XOAUTH2", response, cause);
		sasl_free(response);
		if (rc != 0)
			return -1;
		break;
	case AUTH_APOP:
		*cause = xstrdup("APOP is POP3 only");
		return -1;
	}
	rc = imap_sasl_finish(i, &s, cause);
	*expired = s.expired;
	return rc;
}

int
imap_auth(struct imap *i, const struct account *account,
    const struct driver_options *options, struct driver_info *info,
    char **cause)
{
	struct auth_offer	 offer;
	const char		*user = account->username != NULL ?
				    account->username : "";
	char			*secret;
	int			 method, rc, expired;

	memset(&offer, 0, sizeof(offer));
	offer.protocol = "IMAP";
	offer.password_command = "LOGIN";
	offer.upgrade = "STARTTLS";
	offer.tls = i->tls;
	offer.upgradable = (i->caps & IMAP_CAP_STARTTLS) != 0;
	offer.password = !(i->caps & IMAP_CAP_LOGINDISABLED);
	if (!offer.password)
		offer.password_missing = "the server disables LOGIN "
		    "(LOGINDISABLED)";
	offer.sasl = i->sasl;
	if ((method = auth_choose(account, &offer, cause)) == -1)
		return -1;
	strlcpy(info->auth_method, auth_shown(method, &offer),
	    sizeof(info->auth_method));
	if (auth_secret(account, method, options->token_argv,
	    options->timeout, &secret, cause) != 0)
		return -1;
	i->caps_known = 0;	/* the tagged OK may list them anew */
	rc = imap_auth_run(i, method, user, secret, &expired, cause);
	sasl_free(secret);
	if (rc == 0 || !expired || i->broken != NULL ||
	    options->token_argv == NULL || options->token_argv[0] == NULL)
		return rc;
	/* The token expired between its fetch and its use: once more. */
	log_info("account=%s host=%s: the server refused the OAuth2 token "
	    "(%s); fetching a new one", i->account, i->host, *cause);
	free(*cause);
	*cause = NULL;
	if (auth_secret(account, method, options->token_argv,
	    options->timeout, &secret, cause) != 0)
		return -1;
	rc = imap_auth_run(i, method, user, secret, &expired, cause);
	sasl_free(secret);
	return rc;
}
