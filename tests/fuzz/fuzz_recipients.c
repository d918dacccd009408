/*
 * libFuzzer target for the X-Postfetch-Recipients header: recipients_parse
 * on any bytes must refuse with a cause or return carried addresses, and
 * what it returns must format and parse back to the same list.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "recipients.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Parse the fields of formatted text back into r; 0 or -1. */
static int
reparse(char *text, struct recipients *r)
{
	char	*line, *next, *cause = NULL;
	size_t	 prefix = sizeof(RECIPIENTS_HEADER);

	/* one field at a time: unfold by replacing "\n\t" with "  " */
	for (line = text; *line != '\0'; line = next) {
		if (strncmp(line, RECIPIENTS_HEADER ":", prefix) != 0)
			return -1;
		for (next = strchr(line, '\n'); next != NULL && next[1] == '\t';
		    next = strchr(next, '\n'))
			next[0] = next[1] = ' ';
		if (next == NULL)
			return -1;
		*next++ = '\0';
		if (strlen(line) - prefix > RECIPIENTS_FIELD_MAX ||
		    recipients_parse(r, line + prefix, &cause) != 0) {
			free(cause);
			return -1;
		}
	}
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct recipients	 r = { NULL, 0 }, back = { NULL, 0 };
	char			*input, *cause = NULL, *text;
	size_t			 i;

	if ((input = malloc(size + 1)) == NULL)
		return 0;
	memcpy(input, data, size);
	input[size] = '\0';
	if (recipients_parse(&r, input, &cause) != 0) {
		if (cause == NULL || r.count != 0)
			abort();
		free(cause);
	} else {
		if (r.count == 0 || r.count > RECIPIENTS_MAX)
			abort();
		for (i = 0; i < r.count; i++)
			if (!recipients_carried(r.list[i]))
				abort();
		if ((text = recipients_format(r.list, r.count)) == NULL ||
		    reparse(text, &back) != 0 || back.count != r.count)
			abort();
		for (i = 0; i < r.count; i++)
			if (strcmp(r.list[i], back.list[i]) != 0)
				abort();
		free(text);
	}
	recipients_free(&r);
	recipients_free(&back);
	free(input);
	return 0;
}
