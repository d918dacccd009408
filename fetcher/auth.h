/*
 * Choosing how to log in, the same for every protocol: the account's
 * auth setting against what the server offers, never a clear-text
 * password over an unencrypted link unless the account allows it, and
 * the secret to send (the password, or an OAuth2 token from
 * token_command). The exchanges themselves are the protocols' own.
 */
#ifndef AUTH_H
#define AUTH_H

struct account;

enum auth_method {
	AUTH_PASSWORD,		/* POP3 USER/PASS, IMAP LOGIN */
	AUTH_APOP,
	AUTH_CRAM_MD5,
	AUTH_PLAIN,
	AUTH_LOGIN,
	AUTH_XOAUTH2
};

/* What the server offers, as the protocol found it. */
struct auth_offer {
	const char	*protocol;	/* "POP3", "IMAP" */
	const char	*password_command; /* "USER/PASS", "LOGIN" */
	const char	*upgrade;	/* "STLS", "STARTTLS" */
	int		 tls;		/* the link is encrypted */
	int		 upgradable;	/* the server offers upgrade */
	int		 password;	/* password_command may be sent */
	const char	*password_missing; /* why not, or NULL */
	int		 apop;		/* POP3 greeting with a timestamp */
	const char	*sasl;		/* " PLAIN LOGIN ", or "" */
};

/*
 * The method to use: the account's, or for auth = any the strongest
 * offered (CRAM-MD5 > on TLS only: PLAIN > LOGIN > password_command >
 * APOP). One method is tried, never a cascade. Without TLS nothing is
 * chosen unless the account says tls = disable. -1 with *cause.
 */
int		 auth_choose(const struct account *, const struct auth_offer *,
		    char **cause);
/* The method as check and the debug log show it. */
const char	*auth_shown(enum auth_method, const struct auth_offer *);
/* Whether sasl (" A B ") lists mechanism, ignoring case. */
int		 auth_has_sasl(const char *sasl, const char *mechanism);
/*
 * The secret for method: a token from token_argv for XOAUTH2 when one is
 * configured, else the password. Free it with sasl_free.
 */
int		 auth_secret(const struct account *, enum auth_method,
		    const char *token_argv[], int timeout, char **secret,
		    char **cause);

#endif
