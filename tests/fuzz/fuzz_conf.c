/*
 * libFuzzer target for the postfetch.conf parser: any input must be either
 * refused with a cause or accepted; what is accepted must print as a file
 * that parses again to the same configuration.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* conf_print's output as a string to free. */
static char *
printed(const struct conf *conf, size_t *len)
{
	char	*buf = NULL;
	FILE	*fp;

	if ((fp = open_memstream(&buf, len)) == NULL)
		abort();
	conf_print(conf, fp);
	fclose(fp);
	return buf;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf	 conf, again;
	char		*cause = NULL, *first, *second;
	size_t		 len, len2;

	if (conf_parse(&conf, "fuzz", (const char *)data, size, &cause) != 0) {
		if (cause == NULL || strncmp(cause, "fuzz:", 5) != 0 ||
		    strchr(cause, '\n') != NULL)
			abort();	/* every cause is one line naming the file */
		free(cause);
		return 0;
	}
	first = printed(&conf, &len);
	/* A printed line is a few bytes longer than the longest input line. */
	if (size < CONF_LINE_MAX - 64) {
		if (conf_parse(&again, "again", first, len, &cause) != 0) {
			fprintf(stderr, "reparse: %s\n", cause);
			abort();
		}
		second = printed(&again, &len2);
		if (len != len2 || memcmp(first, second, len) != 0)
			abort();
		free(second);
		conf_free(&again);
	}
	free(first);
	conf_free(&conf);
	return 0;
}
