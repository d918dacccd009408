/*
 * libFuzzer target for fetcher/message.c over fetcher/spool.c: arbitrary
 * bytes fed as a driver feeds them (lines, long lines in pieces, a last
 * line without its end), multidrop. What reaches the spool must be the
 * whole input after our fields (less the X-Postfetch-Account and
 * X-Postfetch-Recipients fields it had, which are dropped on purpose),
 * and the envelope must be safe for the
 * sendmail command line: a sender and recipients that never start with
 * '-', at least one recipient.
 * Sources: fetcher/message.c fetcher/header.c fetcher/spool.c common/
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "log.h"
#include "recipients.h"
#include "../../fetcher/header.h"
#include "../../fetcher/message.h"
#include "../../fetcher/spool.h"
#include "tag.h"

#define PIECE	100	/* a line longer than this arrives in pieces */

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Feed data as lines, a long one in pieces; the last one may be open. */
static void
feed(struct message *m, const char *data, size_t len)
{
	const char	*nl;
	size_t		 n, piece;
	char		*cause = NULL;

	while (len > 0) {
		nl = memchr(data, '\n', len);
		n = nl != NULL ? (size_t)(nl - data) : len;
		do {
			piece = n > PIECE ? PIECE : n;
			if (message_write(m, data, piece, piece == n &&
			    nl != NULL, &cause) != 0) {
				free(cause);
				return;
			}
			data += piece;
			len -= piece;
			n -= piece;
		} while (n > 0);
		if (nl != NULL) {
			data++;
			len--;
		}
	}
}

/* The length of a leading mbox "From " line with its LF, or 0. */
static size_t
from_line(const uint8_t *data, size_t len)
{
	const uint8_t	*nl;

	if (len < 5 || memcmp(data, "From ", 5) != 0)
		return 0;
	nl = memchr(data, '\n', len);
	return nl != NULL ? (size_t)(nl - data) + 1 : len;
}

/* The bytes of the fields message.c drops on purpose, as the input has
 * them: our tag and recipient list, which a server must not pass on. */
static size_t
dropped(const uint8_t *data, size_t len)
{
	struct header	 h;
	size_t		 i, n = 0;

	header_parse(&h, (const char *)data, len > MESSAGE_HEADER_MAX ?
	    MESSAGE_HEADER_MAX : len);
	for (i = 0; i < h.count; i++) {
		if (header_is(&h, i, TAG_HEADER) ||
		    header_is(&h, i, RECIPIENTS_HEADER))
			n += h.fields[i].end - h.fields[i].start;
	}
	header_free(&h);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	static const unsigned char	 key[TAG_KEY_LEN];
	struct message_params		 params;
	struct message_result		 result;
	struct message			*m;
	struct spool			*spool;
	char				*cause = NULL;
	size_t				 i, skip;

	log_init("fuzz", 0, 0, 0);
	if ((spool = spool_open("/tmp", &cause)) == NULL)
		abort();
	memset(&params, 0, sizeof(params));
	params.account = "fuzz";
	params.host = "pop.fuzz.example";
	params.protocol = "POP3";
	params.uid = "1";
	params.fallback = "fallback@fuzz.example";
	params.postmaster = "postmaster@fuzz.example";
	params.key = key;
	m = message_begin(&params, spool);
	feed(m, (const char *)data, len);
	if (message_end(m, &result, &cause) != 0)
		abort();	/* a spool file in /tmp does not fail */
	if (result.sender == NULL || result.sender[0] == '-' ||
	    result.count == 0)
		abort();
	for (i = 0; i < result.count; i++) {
		if (result.recipients[i][0] == '\0' ||
		    result.recipients[i][0] == '-')
			abort();
	}
	skip = from_line(data, len);
	if (spool_size(spool) + dropped(data + skip, len - skip) < len - skip)
		abort();	/* nothing else of the message is lost */
	message_result_free(&result);
	spool_free(spool);
	return 0;
}
