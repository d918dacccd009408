/*
 * Choosing how to log in (auth.h). Nothing is sent on an unencrypted link
 * unless the account says tls = disable: that is the admin's allowance
 * (the protocols stop before this; the check here is the last line).
 * There, auth = any still never picks a method that puts the password
 * itself on the wire, but a clear-text method named explicitly
 * (password, plain, login, xoauth2) is sent.
 */
#include <stdio.h>
#include <string.h>

#include "account.h"
#include "auth.h"
#include "sasl.h"
#include "token.h"
#include "xmalloc.h"

static const struct {
	const char	*name;		/* account.auth */
	const char	*shown;		/* NULL: the password command */
} auth_methods[] = {
	{ "password", NULL },
	{ "apop", "APOP" },
	{ "cram-md5", "CRAM-MD5" },
	{ "plain", "PLAIN" },
	{ "login", "LOGIN" },
	{ "xoauth2", "XOAUTH2" },
};

int
auth_has_sasl(const char *sasl, const char *mechanism)
{
	char	 word[64];

	snprintf(word, sizeof(word), " %s ", mechanism);
	return strcasestr(sasl, word) != NULL;
}

const char *
auth_shown(enum auth_method method, const struct auth_offer *offer)
{
	if (auth_methods[method].shown == NULL)
		return offer->password_command;
	return auth_methods[method].shown;
}

/* Pick the method for auth = any, or -1 with *cause. */
static int
auth_any(const struct auth_offer *offer, char **cause)
{
	if (auth_has_sasl(offer->sasl, "CRAM-MD5"))
		return AUTH_CRAM_MD5;
	if (offer->tls) {
		if (auth_has_sasl(offer->sasl, "PLAIN"))
			return AUTH_PLAIN;
		if (auth_has_sasl(offer->sasl, "LOGIN"))
			return AUTH_LOGIN;
		if (offer->password)
			return AUTH_PASSWORD;
	}
	if (offer->apop)
		return AUTH_APOP;
	if (!offer->tls && offer->upgradable)
		xasprintf(cause, "refusing to send a clear-text password over "
		    "an unencrypted connection; the server offers %s: set "
		    "tls = detect or starttls", offer->upgrade);
	else if (!offer->tls)
		*cause = xstrdup("refusing to send a clear-text password over "
		    "an unencrypted connection; set tls or auth");
	else if (offer->password_missing != NULL)
		xasprintf(cause, "server offers no authentication method we "
		    "know (SASL%s; %s)", offer->sasl[0] != '\0' ? offer->sasl :
		    " none ", offer->password_missing);
	else
		xasprintf(cause, "server offers no authentication method we "
		    "know (SASL%s)", offer->sasl[0] != '\0' ? offer->sasl :
		    " none ");
	return -1;
}

/* Check the method the account names against the offer. */
static int
auth_named(const struct auth_offer *offer, const char *auth, char **cause)
{
	size_t	 i;

	for (i = 0; i < sizeof(auth_methods) / sizeof(auth_methods[0]); i++) {
		if (strcmp(auth, auth_methods[i].name) == 0)
			break;
	}
	if (i == sizeof(auth_methods) / sizeof(auth_methods[0])) {
		xasprintf(cause, "unknown auth method: %s", auth);
		return -1;
	}
	if (i == AUTH_APOP && !offer->apop) {
		if (strcmp(offer->protocol, "POP3") != 0)
			xasprintf(cause, "auth = apop is for POP3, not %s",
			    offer->protocol);
		else
			*cause = xstrdup("APOP: the server greeting has no "
			    "timestamp (APOP not offered)");
		return -1;
	}
	if (i == AUTH_PASSWORD && !offer->password &&
	    offer->password_missing != NULL) {
		xasprintf(cause, "auth = password: %s",
		    offer->password_missing);
		return -1;
	}
	return i;
}

int
auth_choose(const struct account *account, const struct auth_offer *offer,
    char **cause)
{
	const char	*auth = account->auth != NULL ? account->auth : "any";
	const char	*tls = account->tls != NULL ? account->tls : "detect";

	/* not a password, a hash (CRAM-MD5, APOP) nor a token */
	if (!offer->tls && strcmp(tls, "disable") != 0) {
		xasprintf(cause, "refusing to authenticate over an unencrypted "
		    "connection (tls = %s); set tls = 'disable' to allow it",
		    tls);
		return -1;
	}
	if (strcmp(auth, "any") == 0)
		return auth_any(offer, cause);
	return auth_named(offer, auth, cause);
}

int
auth_secret(const struct account *account, enum auth_method method,
    const char *token_argv[], int timeout, char **secret, char **cause)
{
	if (method == AUTH_XOAUTH2 && token_argv != NULL &&
	    token_argv[0] != NULL)
		return token_get((const char *const *)token_argv,
		    account->name, timeout, secret, cause);
	*secret = xstrdup(account->password != NULL ? account->password : "");
	return 0;
}
