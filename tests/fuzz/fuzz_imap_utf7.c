/*
 * libFuzzer target for fetcher/imap_utf7.c: arbitrary bytes decoded as a
 * modified UTF-7 folder name and encoded as UTF-8. Whatever one
 * direction accepts, the other must turn back into the same bytes:
 * decoding accepts only the canonical form, encoding writes only it.
 * Sources: fetcher/imap_utf7.c common/xmalloc.c common/log.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/imap_utf7.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Whether decode(encode(s)) or encode(decode(s)) gives s back. */
static void
check_inverse(const char *input, char *(*forth)(const char *),
    char *(*back)(const char *))
{
	char	*there, *again;

	if ((there = forth(input)) == NULL)
		return;
	/* the other direction must take what this one wrote */
	if ((again = back(there)) == NULL || strcmp(again, input) != 0)
		abort();
	free(again);
	free(there);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*copy;

	/* an exact-size copy, so ASan sees any read past the NUL */
	copy = xmalloc(size + 1);
	memcpy(copy, data, size);
	copy[size] = '\0';
	check_inverse(copy, imap_utf7_decode, imap_utf7_encode);
	check_inverse(copy, imap_utf7_encode, imap_utf7_decode);
	free(copy);
	return 0;
}
