/*
 * libFuzzer target: arbitrary server bytes fed to the IMAP response
 * reader through a pipe and a transport (tests/fuzz/server.c), read
 * response by response until an error. The first byte picks the literal bound and which literals
 * are streamed, so both the kept and the streamed paths see hostile
 * input; every tree is walked through the accessors so ASan sees every
 * item.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/imap_reader.h"
#include "../../fetcher/transport.h"
#include "server.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* What the stream saw, checked against the reader's claims. */
struct fuzz_sink {
	uint8_t			 mode;
	unsigned long long	 sum;
	int			 refuse;	/* data() calls before stopping */
};

/* Stream after BODY[] (mode bit 2: every literal, bit 3: none). */
static int
fuzz_start(void *arg, const struct imap_response *r,
    const struct imap_item *list, long long size)
{
	struct fuzz_sink	*sink = arg;

	if (r == NULL || list == NULL || size < 0)
		abort();
	if (sink->mode & 8)
		return 0;
	if (sink->mode & 4)
		return 1;
	return imap_is_atom(imap_child(list, imap_count(list) - 1), "BODY[]");
}

static int
fuzz_data(void *arg, const char *data, size_t len, int eol)
{
	struct fuzz_sink	*sink = arg;

	/* Touch every byte; a streamed piece never holds a line end. */
	while (len > 0) {
		if (data[--len] == '\n')
			abort();
		sink->sum += (unsigned char)data[len];
	}
	sink->sum += eol;
	return sink->refuse > 0 && --sink->refuse == 0;
}

/* Walk an item and its children through the accessors. */
static void
fuzz_walk(const struct imap_item *item, size_t depth)
{
	const char	*s;
	long long	 n;
	size_t		 i;

	if (depth > IMAP_DEPTH_MAX + 1)
		abort();
	if ((s = imap_string(item)) != NULL && strlen(s) > item->len)
		abort();
	if (imap_number(item, &n) == 0 && n < 0)
		abort();
	(void)imap_is_atom(item, "FETCH");
	for (i = 0; i < imap_count(item); i++)
		fuzz_walk(imap_child(item, i), depth + 1);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t	 bounds[] = { 0, 16, 1024, 65536 };
	struct fuzz_sink	 sink;
	struct imap_stream	 stream = { fuzz_start, fuzz_data, &sink };
	struct imap_response	*r;
	struct imap_reader	*rd;
	struct transport	*t;
	char			*cause = NULL;
	int			 in;

	if (size < 1)
		return 0;
	memset(&sink, 0, sizeof(sink));
	sink.mode = data[0];
	sink.refuse = (data[0] >> 4) & 3;
	data++;
	size--;
	if ((in = fuzz_server(data, size)) == -1)
		return 0;
	t = transport_fds(in, -1, 1);
	rd = imap_reader_new(t, bounds[sink.mode & 3]);
	while (imap_read(rd, (sink.mode & 64) ? NULL : &stream, &r,
	    &cause) == 0) {
		if (memchr(r->shown, '\0', sizeof(r->shown)) == NULL ||
		    (r->status != IMAP_STATUS_NONE && r->text == NULL))
			abort();
		fuzz_walk(&r->items, 0);
		imap_response_free(r);
	}
	if (cause == NULL)
		abort();
	free(cause);
	imap_reader_free(rd);
	transport_free(t);
	return 0;
}
