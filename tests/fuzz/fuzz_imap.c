/*
 * libFuzzer target: arbitrary server bytes fed to the IMAP client. The
 * input after its first byte goes into a pipe the client reads (the
 * server side, tests/fuzz/server.c); what the client sends goes to
 * /dev/null. The client opens a session (tls = disable, auth =
 * password), lists every folder, and in each of the first few selects,
 * lists, fetches into a sink, deletes and expunges; then it logs out.
 * The first byte picks keep (EXAMINE, bit 0), the order of the
 * messages (bit 1), Message-IDs first (bit 2), and how the sink answers
 * (bits 3-5). The sink checks the driver keeps its contract: begin
 * and end paired, data only inside them, indexes that were asked for.
 */
#include <stdint.h>
#include <syslog.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/account.h"
#include "../../fetcher/driver.h"
#include "../../fetcher/imap_session.h"
#include "../../fetcher/transport.h"
#include "log.h"
#include "server.h"
#include "xmalloc.h"

#define FUZZ_FOLDERS	3	/* folders visited */

int	LLVMFuzzerInitialize(int *, char ***);
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The driver's log lines (a LIST ignored...) would only slow it down. */
int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_init("fuzz_imap", LOG_MAIL, 0, 0);
	return 0;
}

/* The sink's state, checked on every call. */
struct fuzz_sink {
	uint8_t			 mode;
	size_t			 count;		/* indexes of the list */
	int			 open;
	size_t			 index;		/* the one begun */
	unsigned long long	 sum;
};

static int
sink_begin(void *arg, size_t index)
{
	struct fuzz_sink	*s = arg;

	if (s->open || index >= s->count)
		abort();
	s->open = 1;
	s->index = index;
	return (s->mode & 8) && index % 3 == 2;	/* refuse now and then */
}

static int
sink_data(void *arg, const char *data, size_t len, int eol)
{
	struct fuzz_sink	*s = arg;

	if (!s->open)
		abort();
	/* Touch every byte so ASan sees bad pointers. */
	while (len > 0)
		s->sum += (unsigned char)data[--len];
	s->sum += eol;
	return (s->mode & 16) && s->sum % 7 == 0;
}

static int
sink_end(void *arg, size_t index, int complete, const char *refusal)
{
	struct fuzz_sink	*s = arg;

	if (!s->open || index != s->index || (complete && refusal != NULL))
		abort();
	if (refusal != NULL)
		s->sum += strlen(refusal);
	s->open = 0;
	return (s->mode & 32) && index == 1;	/* stop after the second */
}

static const struct driver_sink sink = { sink_begin, sink_data, sink_end };

/* Select, list, fetch, delete and expunge one folder; -1: stop. */
static int
fuzz_folder(struct imap *i, const char *folder, uint8_t mode)
{
	struct driver_message	*list = NULL;
	struct fuzz_sink	 s;
	char			**refused = NULL, **ids = NULL, *cause = NULL;
	long long		 uidvalidity;
	size_t			 count = 0, n, *indexes = NULL;
	int			 rc = -1;

	if (imap_driver.select(i, folder, &uidvalidity, &cause) != 0 ||
	    imap_driver.list(i, &list, &count, &cause) != 0)
		goto out;
	indexes = xcalloc(count + 1, sizeof(*indexes));
	refused = xcalloc(count + 1, sizeof(*refused));
	ids = xcalloc(count + 1, sizeof(*ids));
	for (n = 0; n < count; n++)
		indexes[n] = mode & 2 ? count - 1 - n : n;
	if ((mode & 4) && imap_driver.identify(i, list, indexes, count, ids,
	    &cause) != 0)
		goto out;
	memset(&s, 0, sizeof(s));
	s.mode = mode;
	s.count = count;
	if (imap_driver.fetch(i, list, indexes, count, &sink, &s,
	    &cause) != 0)
		goto out;
	if (s.open)
		abort();
	if (imap_driver.delete(i, list, indexes, count, refused,
	    &cause) != 0 || imap_driver.expunge(i, &cause) != 0)
		goto out;
	rc = 0;
out:
	for (n = 0; n < count && refused != NULL; n++) {
		free(refused[n]);
		free(ids[n]);
	}
	free(refused);
	free(ids);
	free(indexes);
	free(list);
	free(cause);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char	*folders[] = { "*", NULL };
	struct account		 account;
	struct driver_options	 options;
	struct driver_info	 info;
	struct imap		*i;
	char			**names = NULL, *cause = NULL;
	struct transport	*transport;
	size_t			 n;
	uint8_t			 mode;

	if ((transport = fuzz_client(data, size, &mode)) == NULL)
		return 0;
	fuzz_account(&account);
	account.tls = (char *)"disable";
	account.auth = (char *)"password";
	account.keep = mode & 1;
	account.folders = (char **)folders;
	options.timeout = 1;
	options.token_argv = NULL;
	memset(&info, 0, sizeof(info));
	i = imap_open_transport(transport, &account, &options, &info, &cause);
	free(cause);
	cause = NULL;
	if (i == NULL)
		return 0;
	if (imap_driver.folders(i, &account, &names, &cause) == 0) {
		for (n = 0; names[n] != NULL && n < FUZZ_FOLDERS; n++) {
			if (fuzz_folder(i, names[n], mode) != 0)
				break;
		}
		xfreev(names);
		imap_driver.quit(i, &cause);
	}
	free(cause);
	imap_driver.close(i);
	return 0;
}
