/*
 * Unit tests for fetcher/driver.c's TLS rules: how a session gets its
 * TLS from the account's tls and port (detect is implicit TLS on the
 * implicit-TLS port, else STARTTLS, never plain text; tls_seen plays no
 * part), the cause of a refused plain session and the tls = disable
 * warning.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/account.h"
#include "../../fetcher/driver.h"
#include "tap.h"

/* One account: tls, port, tls_seen; the way for implicit port 995. */
static const struct {
	const char	*tls;
	int		 port;
	int		 tls_seen;
	int		 mode;		/* -1: refused */
} modes[] = {
	{ "direct", 0, 0, DRIVER_TLS_DIRECT },
	{ "direct", 1995, 0, DRIVER_TLS_DIRECT },
	{ "starttls", 0, 0, DRIVER_TLS_STARTTLS },
	{ "starttls", 995, 0, DRIVER_TLS_STARTTLS },
	{ "disable", 0, 0, DRIVER_TLS_DISABLE },
	{ "disable", 995, 0, DRIVER_TLS_DISABLE },
	{ "detect", 0, 0, DRIVER_TLS_STARTTLS },
	{ "detect", 110, 0, DRIVER_TLS_STARTTLS },
	{ "detect", 110, 1, DRIVER_TLS_STARTTLS },
	{ "detect", 995, 0, DRIVER_TLS_DIRECT },
	{ "detect", 995, 1, DRIVER_TLS_DIRECT },
	{ "detect", 1995, 0, DRIVER_TLS_STARTTLS },
	{ NULL, 0, 0, DRIVER_TLS_STARTTLS },		/* NULL is detect */
	{ "sometimes", 0, 0, -1 },
};

int
main(void)
{
	struct account		 account;
	enum driver_tls		 mode;
	char			*cause;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		memset(&account, 0, sizeof(account));
		account.tls = (char *)modes[i].tls;
		account.port = modes[i].port;
		account.tls_seen = modes[i].tls_seen;
		cause = NULL;
		mode = -1;
		rc = driver_tls_mode(&account, 995, &mode, &cause);
		if (modes[i].mode == -1) {
			is_int(rc, -1, "tls %s: refused", modes[i].tls);
			is_str(cause, "unknown tls mode: sometimes",
			    "tls %s: cause", modes[i].tls);
		} else {
			is_int(rc, 0, "tls %s, port %d, tls_seen %d: known",
			    modes[i].tls, modes[i].port, modes[i].tls_seen);
			is_int(mode, modes[i].mode, "tls %s, port %d, "
			    "tls_seen %d: the way", modes[i].tls,
			    modes[i].port, modes[i].tls_seen);
		}
		free(cause);
	}

	memset(&account, 0, sizeof(account));
	account.tls = "detect";
	cause = driver_plain_refused(&account, "STLS refused: %s", "-ERR no");
	is_str(cause, "STLS refused: -ERR no: plain text refused (tls = "
	    "detect); set tls = 'disable' to allow it", "refused: the cause");
	free(cause);

	account.protocol = "pop3";
	ok(driver_plain_warning(&account) == NULL, "detect: no warning");
	account.tls = "disable";
	is_str(driver_plain_warning(&account), "tls = disable: the "
	    "credentials cross the network unencrypted", "disable: warned");
	account.protocol = "etrn";
	is_str(driver_plain_warning(&account), "tls = disable: the session "
	    "is not encrypted", "disable, ETRN: warned (no credentials)");
	return done_testing();
}
