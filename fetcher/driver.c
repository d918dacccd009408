/*
 * The drivers the engine knows, by the protocol names of the schema, and
 * what every user of a driver (the engine, check) does the same way.
 */
#include <stddef.h>
#include <string.h>

#include "conf.h"
#include "driver.h"
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
