/*
 * What every protocol (POP3, IMAP, ETRN) does the same way about TLS: the
 * mode an account asks for, starting TLS and recording what it found, and
 * the words for plain text refused or allowed.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "driver.h"
#include "transport.h"
#include "xmalloc.h"

int
driver_starttls(struct transport *transport, const struct account *account,
    struct driver_info *info, char **cause)
{
	struct transport_tls	 tls;

	if (transport_starttls(transport, account->host, account->tls_verify,
	    account->tls_fingerprint, &tls, cause) != 0)
		return -1;
	info->tls = 1;
	strlcpy(info->tls_version, tls.version, sizeof(info->tls_version));
	strlcpy(info->tls_cipher, tls.cipher, sizeof(info->tls_cipher));
	strlcpy(info->tls_subject, tls.subject, sizeof(info->tls_subject));
	strlcpy(info->tls_fingerprint, tls.fingerprint,
	    sizeof(info->tls_fingerprint));
	info->tls_verified = tls.verified;
	info->tls_pinned = tls.pinned;
	return 0;
}

int
driver_tls_mode(const struct account *account, int implicit_port,
    enum driver_tls *mode, char **cause)
{
	const char	*tls = account->tls != NULL ? account->tls : "detect";

	if (strcmp(tls, "direct") == 0)
		*mode = DRIVER_TLS_DIRECT;
	else if (strcmp(tls, "starttls") == 0)
		*mode = DRIVER_TLS_STARTTLS;
	else if (strcmp(tls, "disable") == 0)
		*mode = DRIVER_TLS_DISABLE;
	else if (strcmp(tls, "detect") == 0)
		/* the port says TLS from the start; nothing is probed */
		*mode = account->port == implicit_port ? DRIVER_TLS_DIRECT :
		    DRIVER_TLS_STARTTLS;
	else {
		xasprintf(cause, "unknown tls mode: %s", tls);
		return -1;
	}
	return 0;
}

char *
driver_plain_refused(const struct account *account, const char *fmt, ...)
{
	va_list	 ap;
	char	 why[1024];

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	return xprintf("%s: plain text refused (tls = %s); set tls = "
	    "'disable' to allow it", why, account->tls != NULL ?
	    account->tls : "detect");
}

const char *
driver_plain_warning(const struct account *account)
{
	if (account->tls == NULL || strcmp(account->tls, "disable") != 0)
		return NULL;
	if (account->protocol != NULL && strcmp(account->protocol,
	    "etrn") == 0)
		return "tls = disable: the session is not encrypted";
	return "tls = disable: the credentials cross the network "
	    "unencrypted";
}
