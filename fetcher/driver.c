/* The drivers the engine knows, by the protocol names of the schema. */
#include <stddef.h>
#include <string.h>

#include "driver.h"

static const struct {
	const char		*protocol;
	const struct driver	*driver;
} drivers[] = {
	{ "pop3", &pop3_driver },
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
