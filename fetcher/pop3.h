/*
 * POP3 client (RFC 1939, 2449, 2595, 5034): connect, TLS, authenticate,
 * list, retrieve (streamed, dot-unstuffed), delete. Errors come back as
 * one line in *cause that includes the server's reply where there is one.
 */
#ifndef POP3_H
#define POP3_H

#include <stddef.h>

#include "driver.h"

struct account;
struct conf;
struct pop3;
struct transport;

/*
 * Connect, negotiate TLS as the account says, authenticate. timeout is
 * in seconds and bounds every read and write. On success *info is filled
 * in as far as the session got, also on failure.
 */
struct pop3	*pop3_open(const struct account *, int timeout,
		    const char *token_command_argv[], struct driver_info *info,
		    char **cause);
/* Message count and total size (STAT). */
int		 pop3_stat(struct pop3 *, unsigned *count,
		    unsigned long long *size, char **cause);
/* All messages with UID and size (UIDL + LIST, pipelined if offered). */
int		 pop3_list(struct pop3 *, struct driver_message **list,
		    size_t *count, char **cause);
/*
 * Retrieve the given messages in order, pipelining RETR commands when the
 * server offers PIPELINING; each is fed to the sink. Returns -1 only when
 * the session is unusable (network, protocol); a refused RETR is reported
 * through end(complete = 0) and the rest go on.
 */
int		 pop3_retrieve(struct pop3 *, const struct driver_message *list,
		    const size_t *indexes, size_t count,
		    const struct driver_sink *, void *arg, char **cause);
/*
 * DELE the given messages (pipelined when offered); refused[i] is the
 * server's reply to each one refused (caller frees), else NULL. -1 only
 * when the session is unusable.
 */
int		 pop3_delete(struct pop3 *, const struct driver_message *list,
		    const size_t *indexes, size_t count, char **refused,
		    char **cause);
/* QUIT: the server expunges deleted messages only on a clean QUIT. */
int		 pop3_quit(struct pop3 *, char **cause);
/* Close the connection and free everything (no QUIT). */
void		 pop3_close(struct pop3 *);
/*
 * The server's last status line (non-printable bytes replaced, truncated),
 * e.g. the -ERR of a refused RETR when the sink's end() sees complete = 0.
 */
const char	*pop3_last_reply(const struct pop3 *);
/*
 * pop3_open over a transport the caller made (tests, fuzzing); it takes
 * the transport and frees it on failure. account->host is the name the
 * TLS certificate must carry.
 */
struct pop3	*pop3_open_transport(struct transport *,
		    const struct account *, int timeout,
		    const char *token_command_argv[], struct driver_info *info,
		    char **cause);

#endif
