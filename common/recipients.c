/*
 * The X-Postfetch-Recipients header: "<a@x>, <b@y>", folded at
 * RECIPIENTS_LINE columns, at most RECIPIENTS_FIELD_MAX bytes a field
 * (a long list takes several fields, read in order), RECIPIENTS_MAX
 * addresses in all. Strict both ways: the milter takes from it only what
 * the fetcher could have written.
 */
#include <stdio.h>
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
	const char	*p, *end, *reason = NULL;
	char		**list = NULL, **grown, *address, many[64];
	size_t		  count = 0, i;
	int		  rc = RECIPIENTS_NOMEM;

	p = recipients_skip(value);
	while (*p != '\0') {
		if (*p != '<' || (end = strchr(p + 1, '>')) == NULL) {
			reason = "not a list of <address>";
			goto fail;
		}
		if (r->count + count >= RECIPIENTS_MAX) {
			snprintf(many, sizeof many, "more than %d recipients",
			    RECIPIENTS_MAX);
			reason = many;
			goto fail;
		}
		if ((address = strndup(p + 1, end - p - 1)) == NULL)
			goto fail;
		if (strlen(address) != (size_t)(end - p - 1) ||
		    !recipients_carried(address)) {
			free(address);
			reason = "not a usable address";
			goto fail;
		}
		if ((grown = reallocarray(list, count + 1, sizeof(*list))) ==
		    NULL) {
			free(address);
			goto fail;
		}
		list = grown;
		list[count++] = address;
		p = recipients_skip(end + 1);
		if (*p == ',') {
			p = recipients_skip(p + 1);
			if (*p == '\0') {
				reason = "a comma at the end";
				goto fail;
			}
		} else if (*p != '\0') {
			reason = "text after an address";
			goto fail;
		}
	}
	if (count == 0) {
		reason = "no recipient";
		goto fail;
	}
	if ((grown = reallocarray(r->list, r->count + count,
	    sizeof(*r->list))) == NULL)
		goto fail;
	r->list = grown;
	memcpy(r->list + r->count, list, count * sizeof(*list));
	r->count += count;
	free(list);
	return 0;
fail:
	for (i = 0; i < count; i++)
		free(list[i]);
	free(list);
	/* Out of memory, even for the reason: no cause. */
	if (reason != NULL && (*cause = strdup(reason)) != NULL)
		rc = -1;
	return rc;
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
