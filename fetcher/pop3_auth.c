/*
 * Logging in to a POP3 server: USER/PASS, APOP (RFC 1939) and AUTH
 * (RFC 5034) with PLAIN, LOGIN, CRAM-MD5 and XOAUTH2.
 *
 * The method is chosen in auth.c (on a plain link auth = any leaves
 * CRAM-MD5 and APOP). Passwords and tokens are wiped after use and never
 * traced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "auth.h"
#include "pop3.h"
#include "pop3_session.h"
#include "sasl.h"
#include "xmalloc.h"

/* The reply as a failure cause: "login failed: -ERR ...". */
static int
pop3_auth_failed(struct pop3 *p, char **cause)
{
	xasprintf(cause, "login failed: %s", p->reply);
	return -1;
}

/* Read the final reply of a login exchange. */
static int
pop3_auth_result(struct pop3 *p, char **cause)
{
	int	 rc;

	if ((rc = pop3_reply(p, 1, cause)) == -1)
		return -1;
	if (rc == POP3_CONTINUE) {
		/* The mechanism has more to say (XOAUTH2's error JSON):
		 * answer empty to get the final -ERR. */
		if (pop3_put(p, "", 0, NULL, cause) != 0 ||
		    (rc = pop3_reply(p, 0, cause)) == -1)
			return -1;
	}
	return rc == POP3_OK ? 0 : pop3_auth_failed(p, cause);
}

/*
 * AUTH mechanism with its first response: inline when the line stays
 * within RFC 5034's 255 octets, else after the server's empty challenge.
 * A NULL response sends no initial response.
 */
static int
pop3_auth_start(struct pop3 *p, const char *mechanism, const char *response,
    char **cause)
{
	char	 trace[64];
	int	 rc;

	snprintf(trace, sizeof(trace), "AUTH %s <redacted>", mechanism);
	if (response != NULL &&
	    strlen(mechanism) + strlen(response) + 6 <= POP3_AUTH_IR_MAX)
		return pop3_command(p, cause, trace, "AUTH %s %s", mechanism,
		    response);
	if (pop3_command(p, cause, NULL, "AUTH %s", mechanism) != 0)
		return -1;
	if (response == NULL)
		return 0;
	if ((rc = pop3_reply(p, 1, cause)) == -1)
		return -1;
	if (rc != POP3_CONTINUE)
		return pop3_auth_failed(p, cause);
	return pop3_put(p, response, strlen(response), "<redacted>", cause);
}

/* Expect a challenge; its text (after "+ ") in *challenge. */
static int
pop3_challenge(struct pop3 *p, const char **challenge, char **cause)
{
	int	 rc;

	if ((rc = pop3_reply(p, 1, cause)) == -1)
		return -1;
	if (rc != POP3_CONTINUE)
		return pop3_auth_failed(p, cause);
	*challenge = p->line[1] == ' ' ? p->line + 2 : p->line + 1;
	return 0;
}

/* Run one authentication method. */
static int
pop3_auth_run(struct pop3 *p, enum auth_method method, const char *user,
    const char *secret, char **cause)
{
	const char	*challenge;
	char		*response = NULL;
	int		 rc = -1;

	switch (method) {
	case AUTH_PASSWORD:
		if (pop3_command(p, cause, NULL, "USER %s", user) != 0 ||
		    (rc = pop3_reply(p, 0, cause)) == -1)
			return -1;
		if (rc != POP3_OK)
			return pop3_auth_failed(p, cause);
		if (pop3_command(p, cause, "PASS <redacted>", "PASS %s",
		    secret) != 0)
			return -1;
		return pop3_auth_result(p, cause);
	case AUTH_APOP:
		if ((response = sasl_apop(p->timestamp, secret)) == NULL) {
			*cause = xstrdup("APOP: MD5 is not available");
			return -1;
		}
		rc = pop3_command(p, cause, "APOP <redacted>", "APOP %s %s",
		    user, response);
		break;
	case AUTH_CRAM_MD5:
		if (pop3_auth_start(p, "CRAM-MD5", NULL, cause) != 0 ||
		    pop3_challenge(p, &challenge, cause) != 0)
			return -1;
		if ((response = sasl_cram_md5(user, secret,
		    challenge)) == NULL) {
			xasprintf(cause, "CRAM-MD5: bad challenge: %s",
			    p->reply);
			p->broken = "bad challenge";
			return -1;
		}
		rc = pop3_put(p, response, strlen(response), "<redacted>",
		    cause);
		break;
	case AUTH_PLAIN:
		response = sasl_plain(user, secret);
		rc = pop3_auth_start(p, "PLAIN", response, cause);
		break;
	case AUTH_LOGIN:
		if (pop3_auth_start(p, "LOGIN", NULL, cause) != 0 ||
		    pop3_challenge(p, &challenge, cause) != 0)
			return -1;
		response = sasl_base64_encode(user, strlen(user));
		rc = pop3_put(p, response, strlen(response), NULL, cause);
		sasl_free(response);
		if (rc != 0 || pop3_challenge(p, &challenge, cause) != 0)
			return -1;
		response = sasl_base64_encode(secret, strlen(secret));
		rc = pop3_put(p, response, strlen(response), "<redacted>",
		    cause);
		break;
	case AUTH_XOAUTH2:
		response = sasl_xoauth2(user, secret);
		rc = pop3_auth_start(p, "XOAUTH2", response, cause);
		break;
	}
	sasl_free(response);
	if (rc != 0)
		return -1;
	return pop3_auth_result(p, cause);
}

int
pop3_auth(struct pop3 *p, const struct account *account,
    const char *token_argv[], int timeout, struct driver_info *info,
    char **cause)
{
	struct auth_offer	 offer;
	const char		*user = account->username != NULL ?
				    account->username : "";
	char			*secret;
	int			 method, rc;

	memset(&offer, 0, sizeof(offer));
	offer.protocol = "POP3";
	offer.password_command = "USER/PASS";
	offer.upgrade = "STLS";
	offer.tls = p->tls;
	offer.upgradable = p->stls;
	offer.password = !p->capa || p->user;
	offer.apop = p->timestamp[0] != '\0';
	offer.sasl = p->sasl;
	if ((method = auth_choose(account, &offer, cause)) == -1)
		return -1;
	strlcpy(info->auth_method, auth_shown(method, &offer),
	    sizeof(info->auth_method));
	if (auth_secret(account, method, token_argv, timeout, &secret,
	    cause) != 0)
		return -1;
	rc = pop3_auth_run(p, method, user, secret, cause);
	sasl_free(secret);
	return rc;
}
