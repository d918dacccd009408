/*
 * libFuzzer target for fetcher/header.c: header section parsing on
 * arbitrary bytes (NULs, CRs, no end), then every reader of it.
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
	header_recipients_free(&r);
	sender = header_sender(&h);
	if (*sender != '\0' && !address_valid(sender))
		abort();
	free(sender);
	header_message_id(&h, id, sizeof(id));
	header_free(&h);
	free(copy);
	return 0;
}
