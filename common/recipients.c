/*
 * The X-Postfetch-Recipients header: "<a@x>, <b@y>", folded at
 * RECIPIENTS_LINE columns, at most RECIPIENTS_FIELD_MAX bytes a field
 * (a long list takes several fields, read in order), RECIPIENTS_MAX
 * addresses in all. Strict both ways: the milter takes from it only what
 * the fetcher could have written.
 */
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "recipients.h"
#include "xmalloc.h"

int
recipients_carried(const char *address)
{
	return address_usable(address) && strpbrk(address, "<>,") == NULL;
}

char *
recipients_format(char *const *list, size_t count)
{
	char	*text;
	size_t	 i, len = 0, size, column = 0, field = 0, need;
	int	 starts;

	if (count == 0 || count > RECIPIENTS_MAX)
		return NULL;
	/* the worst case: every address on a line and in a field of its own */
	size = count * (sizeof(RECIPIENTS_HEADER) + ADDRESS_MAX + 8) + 2;
	text = xmalloc(size);
	for (i = 0; i < count; i++) {
		if (!recipients_carried(list[i])) {
			free(text);
			return NULL;
		}
		need = strlen(list[i]) + 2;	/* <> */
		starts = i == 0 || field + 3 + need > RECIPIENTS_FIELD_MAX;
		if (starts) {
			if (i > 0)
				text[len++] = '\n';
			memcpy(text + len, RECIPIENTS_HEADER ":",
			    sizeof(RECIPIENTS_HEADER));
			len += sizeof(RECIPIENTS_HEADER);
			column = sizeof(RECIPIENTS_HEADER);
			field = 0;
		} else {
			text[len++] = ',';
			column++;
			field++;
		}
		if (!starts && column + 1 + need > RECIPIENTS_LINE) {
			text[len++] = '\n';
			text[len++] = '\t';
			column = 8;
			field += 2;
		} else {
			text[len++] = ' ';
			column++;
			field++;
		}
		text[len++] = '<';
		memcpy(text + len, list[i], need - 2);
		len += need - 2;
		text[len++] = '>';
		column += need;
		field += need;
	}
	text[len++] = '\n';
	text[len] = '\0';
	return text;
}

/* Folding white space. */
static const char *
recipients_skip(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

int
recipients_parse(struct recipients *r, const char *value, char **cause)
{
	const char	*p, *end;
	char		**list = NULL, *address;
	size_t		  count = 0, i;

	p = recipients_skip(value);
	while (*p != '\0') {
		if (*p != '<' || (end = strchr(p + 1, '>')) == NULL) {
			*cause = xstrdup("not a list of <address>");
			goto fail;
		}
		if (r->count + count >= RECIPIENTS_MAX) {
			xasprintf(cause, "more than %d recipients",
			    RECIPIENTS_MAX);
			goto fail;
		}
		address = xstrndup(p + 1, end - p - 1);
		if (strlen(address) != (size_t)(end - p - 1) ||
		    !recipients_carried(address)) {
			free(address);
			*cause = xstrdup("not a usable address");
			goto fail;
		}
		list = xreallocarray(list, count + 1, sizeof(*list));
		list[count++] = address;
		p = recipients_skip(end + 1);
		if (*p == ',') {
			p = recipients_skip(p + 1);
			if (*p == '\0') {
				*cause = xstrdup("a comma at the end");
				goto fail;
			}
		} else if (*p != '\0') {
			*cause = xstrdup("text after an address");
			goto fail;
		}
	}
	if (count == 0) {
		*cause = xstrdup("no recipient");
		goto fail;
	}
	r->list = xreallocarray(r->list, r->count + count, sizeof(*r->list));
	memcpy(r->list + r->count, list, count * sizeof(*list));
	r->count += count;
	free(list);
	return 0;
fail:
	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
	return -1;
}

void
recipients_free(struct recipients *r)
{
	size_t	 i;

	for (i = 0; i < r->count; i++)
		free(r->list[i]);
	free(r->list);
	r->list = NULL;
	r->count = 0;
}
