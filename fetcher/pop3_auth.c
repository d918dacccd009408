/*
 * Logging in to a POP3 server: USER/PASS, APOP (RFC 1939) and AUTH
 * (RFC 5034) with PLAIN, LOGIN, CRAM-MD5 and XOAUTH2.
 *
 * auth = any takes the strongest method the server offers and never sends
 * a clear-text password over an unencrypted link:
 *   CRAM-MD5 (SASL offered) > on TLS only: PLAIN > LOGIN > USER/PASS
 *   > APOP (the greeting carries a timestamp).
 * On a plain link that leaves CRAM-MD5 and APOP. A clear-text method named
 * explicitly (password, plain, login, xoauth2) is sent unencrypted only
 * when the account says tls = disable: that is the admin's allowance.
 * One method is tried, never a cascade (lockouts count every attempt).
 * Passwords and tokens are wiped after use and never traced.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "pop3.h"
#include "pop3_session.h"
#include "sasl.h"
#include "token.h"
#include "xmalloc.h"

/* Authentication methods, in the account's spelling. */
enum pop3_auth {
	AUTH_USER, AUTH_APOP, AUTH_CRAM_MD5, AUTH_PLAIN, AUTH_LOGIN,
	AUTH_XOAUTH2
};

static const struct {
	const char	*name;		/* account.auth */
	const char	*shown;		/* driver_info.auth_method */
	int		 cleartext;	/* the password can be read off the wire */
} pop3_auths[] = {
	{ "password", "USER/PASS", 1 },
	{ "apop", "APOP", 0 },
	{ "cram-md5", "CRAM-MD5", 0 },
	{ "plain", "PLAIN", 1 },
	{ "login", "LOGIN", 1 },
	{ "xoauth2", "XOAUTH2", 1 },
};

/* Is mechanism offered in CAPA's SASL line? */
static int
pop3_has_sasl(const struct pop3 *p, const char *mechanism)
{
	char	 word[64];

	snprintf(word, sizeof(word), " %s ", mechanism);
	return strcasestr(p->sasl, word) != NULL;
}

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
pop3_auth_run(struct pop3 *p, enum pop3_auth method, const char *user,
    const char *secret, char **cause)
{
	const char	*challenge;
	char		*response = NULL;
	int		 rc = -1;

	switch (method) {
	case AUTH_USER:
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

/* Pick the method for auth = any, or -1 with *cause. */
static int
pop3_auth_any(struct pop3 *p, char **cause)
{
	if (pop3_has_sasl(p, "CRAM-MD5"))
		return AUTH_CRAM_MD5;
	if (p->tls) {
		if (pop3_has_sasl(p, "PLAIN"))
			return AUTH_PLAIN;
		if (pop3_has_sasl(p, "LOGIN"))
			return AUTH_LOGIN;
		if (!p->capa || p->user)
			return AUTH_USER;
	}
	if (p->timestamp[0] != '\0')
		return AUTH_APOP;
	if (!p->tls && p->stls)
		*cause = xstrdup("refusing to send a clear-text password over "
		    "an unencrypted connection; the server offers STLS: set "
		    "tls = detect or starttls");
	else if (!p->tls)
		*cause = xstrdup("refusing to send a clear-text password over "
		    "an unencrypted connection; set tls or auth");
	else
		xasprintf(cause, "server offers no authentication method we "
		    "know (SASL%s)", p->sasl[0] != '\0' ? p->sasl : " none ");
	return -1;
}

int
pop3_auth(struct pop3 *p, const struct account *account,
    const char *token_argv[], int timeout, struct driver_info *info,
    char **cause)
{
	const char	*auth = account->auth != NULL ? account->auth : "any";
	const char	*user = account->username != NULL ?
			    account->username : "";
	char		*secret;
	size_t		 i;
	int		 method = -1, rc;

	if (strcmp(auth, "any") == 0) {
		if ((method = pop3_auth_any(p, cause)) == -1)
			return -1;
	} else {
		for (i = 0; i < sizeof(pop3_auths) / sizeof(pop3_auths[0]);
		    i++) {
			if (strcmp(auth, pop3_auths[i].name) == 0)
				method = i;
		}
		if (method == -1) {
			xasprintf(cause, "unknown auth method: %s", auth);
			return -1;
		}
		if (pop3_auths[method].cleartext && !p->tls &&
		    (account->tls == NULL ||
		    strcmp(account->tls, "disable") != 0)) {
			xasprintf(cause, "refusing to send a clear-text "
			    "password (auth = %s) over an unencrypted "
			    "connection; set tls = disable to allow it", auth);
			return -1;
		}
		if (method == AUTH_APOP && p->timestamp[0] == '\0') {
			*cause = xstrdup("APOP: the server greeting has no "
			    "timestamp (APOP not offered)");
			return -1;
		}
	}
	strlcpy(info->auth_method, pop3_auths[method].shown,
	    sizeof(info->auth_method));
	if (method == AUTH_XOAUTH2 && token_argv != NULL &&
	    token_argv[0] != NULL) {
		if (token_get((const char *const *)token_argv, account->name,
		    timeout, &secret, cause) != 0)
			return -1;
	} else
		secret = xstrdup(account->password != NULL ?
		    account->password : "");
	rc = pop3_auth_run(p, method, user, secret, cause);
	sasl_free(secret);
	return rc;
}
