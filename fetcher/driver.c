/*
 * The drivers the engine knows, by the protocol names of the schema, and
 * what every user of a driver (the engine, check) does the same way.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "conf.h"
#include "driver.h"
#include "transport.h"
#include "xmalloc.h"

static const struct {
	const char		*protocol;
	const struct driver	*driver;
} drivers[] = {
	{ "pop3", &pop3_driver },
	{ "imap", &imap_driver },
};

const struct driver *
driver_find(const char *protocol)
{
	size_t	 i;

	for (i = 0; protocol != NULL && i < sizeof(drivers) /
	    sizeof(drivers[0]); i++) {
		if (strcmp(drivers[i].protocol, protocol) == 0)
			return drivers[i].driver;
	}
	return NULL;
}

void *
driver_open(const struct driver *driver, const struct account *account,
    const struct conf *conf, struct driver_info *info, char **cause)
{
	struct driver_options	 options;

	memset(info, 0, sizeof(*info));
	options.timeout = conf->timeout;
	options.token_argv = (const char **)conf->token_argv;
	/* open copies what it needs; the session never points at options */
	/* cppcheck-suppress returnDanglingLifetime */
	return driver->open(account, &options, info, cause);
}

int
driver_folders(const struct driver *driver, void *session,
    const struct account *account, char ***folders, char **cause)
{
	size_t	 n;

	if (driver->folders == NULL) {
		*folders = xcalloc(2, sizeof(**folders));
		(*folders)[0] = xstrdup("");
		return 0;
	}
	if (driver->folders(session, account, folders, cause) != 0)
		return -1;
	for (n = 0; (*folders)[n] != NULL; n++)
		;
	/* the engine forgets the UIDs a quit expunged for one folder only */
	if (n > 1 && driver->expunge == NULL) {
		xfreev(*folders);
		*cause = xprintf("%s: several folders but no expunge",
		    driver->name);
		return -1;
	}
	return 0;
}

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
