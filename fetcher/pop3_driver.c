/*
 * POP3 as a driver of the engine: the operations of driver.h over the
 * POP3 client of pop3.c. One folder, no UIDVALIDITY; deleted messages are
 * expunged by QUIT.
 */
#include <stddef.h>

#include "driver.h"
#include "pop3.h"

static void *
pop3_driver_open(const struct account *account,
    const struct driver_options *options, struct driver_info *info,
    char **cause)
{
	return pop3_open(account, options->timeout, options->token_argv,
	    info, cause);
}

static int
pop3_driver_list(void *session, struct driver_message **list,
    size_t *count, char **cause)
{
	return pop3_list(session, list, count, cause);
}

static int
pop3_driver_fetch(void *session, const struct driver_message *list,
    const size_t *indexes, size_t count, const struct driver_sink *sink,
    void *arg, char **cause)
{
	return pop3_retrieve(session, list, indexes, count, sink, arg, cause);
}

static int
pop3_driver_delete(void *session, const struct driver_message *list,
    const size_t *indexes, size_t count, char **refused, char **cause)
{
	return pop3_delete(session, list, indexes, count, refused, cause);
}

static int
pop3_driver_quit(void *session, char **cause)
{
	return pop3_quit(session, cause);
}

static void
pop3_driver_close(void *session)
{
	pop3_close(session);
}

const struct driver pop3_driver = {
	.name = "POP3",
	.open = pop3_driver_open,
	.folders = NULL,
	.select = NULL,
	.list = pop3_driver_list,
	.fetch = pop3_driver_fetch,
	.delete = pop3_driver_delete,
	.expunge = NULL,
	.quit = pop3_driver_quit,
	.close = pop3_driver_close,
};
