/*
 * libFuzzer target for fetcher/header.c: header section parsing on
 * arbitrary bytes (NULs, CRs, no end), then every reader of it, and that
 * envelope fields added below the first Received field change nothing.
 * Sources: fetcher/header.c common/address.c common/xmalloc.c common/log.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "../../fetcher/header.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether two strings, either possibly NULL, are the same. */
static int
same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/*
 * Insert forged envelope fields right below the first Received field,
 * where an outside sender can write: the recipients and the sender must
 * stay what they were.
 */
static void
check_forged(const struct header *h, const struct header_recipients *r,
    const char *sender)
{
	static const char		 forged[] =
	    "X-Original-To: forged@fuzz.example\n"
	    "Delivered-To: forged@fuzz.example\n"
	    "Return-Path: <forged@fuzz.example>\n";
	struct header			 fh;
	struct header_recipients	 fr;
	char				*copy, *fsender;
	size_t				 end, len, i;
	long				 at;

	if ((at = header_find(h, "Received", 0)) == -1)
		return;
	end = h->fields[at].end;
	if (h->buf[end - 1] != '\n')	/* the last line, without LF */
		return;
	len = h->len + sizeof(forged) - 1;
	copy = xmalloc(len);
	memcpy(copy, h->buf, end);
	memcpy(copy + end, forged, sizeof(forged) - 1);
	memcpy(copy + end + sizeof(forged) - 1, h->buf + end, h->len - end);
	header_parse(&fh, copy, len);
	header_recipients(&fh, &fr);
	if (fr.count != r->count || fr.dropped_total != r->dropped_total ||
	    !same(fr.source, r->source))
		abort();
	for (i = 0; i < r->count; i++) {
		if (strcmp(fr.list[i], r->list[i]) != 0)
			abort();
	}
	fsender = header_sender(&fh);
	if (!same(fsender, sender))
		abort();
	free(fsender);
	header_recipients_free(&fr);
	header_free(&fh);
	free(copy);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct header			 h;
	struct header_recipients	 r;
	char				*copy, *value, *sender, id[256];
	size_t				 i;

	/* an exact-size copy, so ASan sees any read past the end */
	copy = xmalloc(size == 0 ? 1 : size);
	memcpy(copy, data, size);
	header_parse(&h, copy, size);
	if (h.end > size || h.body > size || h.body < h.end)
		abort();
	for (i = 0; i < h.count; i++) {
		if (h.fields[i].end > h.end || h.fields[i].value >
		    h.fields[i].end)
			abort();
		value = header_value(&h, i);
		free(value);
	}
	header_recipients(&h, &r);
	for (i = 0; i < r.count; i++) {
		if (!address_valid(r.list[i]) || r.list[i][0] == '-')
			abort();
	}
	if (r.count > HEADER_RECIPIENTS_MAX)
		abort();
	sender = header_sender(&h);
	if (sender != NULL && *sender != '\0' && !address_valid(sender))
		abort();
	check_forged(&h, &r, sender);
	header_recipients_free(&r);
	free(sender);
	header_message_id(&h, id, sizeof(id));
	header_free(&h);
	free(copy);
	return 0;
}
