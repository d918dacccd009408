/*
 * POP3 client (RFC 1939, 2449 CAPA and PIPELINING, 2595 STLS): the
 * session, TLS negotiation, listing, retrieval and deletion, as
 * sequential functions, one per command, over the transport's line
 * reader and chunked writer. Every server line is checked before use;
 * after a network or protocol error the session is marked broken and
 * refuses further commands. Logging in is in pop3_auth.c.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "driver.h"
#include "log.h"
#include "pop3.h"
#include "pop3_session.h"
#include "printable.h"
#include "transport.h"
#include "xmalloc.h"

#define POP3_PORT	110
#define POP3_PORT_TLS	995	/* pop3s, implicit TLS (RFC 8314) */

/* Refuse to go on after an error that left the session out of step. */
static int
pop3_usable(struct pop3 *p, char **cause)
{
	if (p->broken == NULL)
		return 0;
	xasprintf(cause, "POP3 session unusable: %s", p->broken);
	return -1;
}

/* Queue one line; secret lines are traced without their argument. */
int
pop3_put(struct pop3 *p, const char *line, size_t len, const char *trace,
    char **cause)
{
	if (trace != NULL)
		log_debug("pop3 %s: > %s", p->host, trace);
	else
		log_debug("pop3 %s: > %.*s", p->host, (int)len, line);
	if (transport_write(p->transport, line, len, cause) != 0 ||
	    transport_write(p->transport, "\r\n", 2, cause) != 0) {
		p->broken = "write failed";
		return -1;
	}
	return 0;
}

/* Format and queue a command; trace = what to log instead, for secrets. */
int
pop3_command(struct pop3 *p, char **cause, const char *trace,
    const char *fmt, ...)
{
	char	 buf[POP3_COMMAND_MAX];
	va_list	 ap;
	int	 n, rc;

	if (pop3_usable(p, cause) != 0)
		return -1;
	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > sizeof(buf) - 3 ||
	    strpbrk(buf, "\r\n") != NULL) {
		explicit_bzero(buf, sizeof(buf));
		xasprintf(cause, "%s command too long or malformed (user name "
		    "or password?)", trace != NULL ? trace : "POP3");
		return -1;
	}
	rc = pop3_put(p, buf, n, trace, cause);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Send what is queued. */
static int
pop3_flush(struct pop3 *p, char **cause)
{
	if (transport_flush(p->transport, cause) != 0) {
		p->broken = "write failed";
		return -1;
	}
	return 0;
}

/*
 * Read one status line: POP3_OK, POP3_ERR, POP3_CONTINUE (only when
 * continuation is set), or -1 with *cause.
 */
static int
pop3_status(struct pop3 *p, int continuation, char **cause)
{
	const char	*line;
	size_t		 len;
	int		 partial;

	if (pop3_usable(p, cause) != 0)
		return -1;
	if (transport_getline(p->transport, &line, &len, &partial,
	    cause) != 0) {
		p->broken = "connection failed";
		return -1;
	}
	printable_copy(p->reply, sizeof(p->reply), line, len,
	    POP3_REPLY_SHOWN);
	if (partial || len >= sizeof(p->line)) {
		p->broken = "reply line too long";
		xasprintf(cause, "reply line too long: %s", p->reply);
		return -1;
	}
	memcpy(p->line, line, len);
	p->line[len] = '\0';
	log_debug("pop3 %s: < %s", p->host, p->reply);
	if (strncasecmp(p->line, "+OK", 3) == 0 &&
	    (len == 3 || p->line[3] == ' '))
		return POP3_OK;
	if (strncasecmp(p->line, "-ERR", 4) == 0 &&
	    (len == 4 || p->line[4] == ' '))
		return POP3_ERR;
	if (continuation && p->line[0] == '+' && (len == 1 ||
	    p->line[1] == ' '))
		return POP3_CONTINUE;
	p->broken = "unexpected reply";
	xasprintf(cause, "unexpected reply from server: %s", p->reply);
	return -1;
}

/* Send what is queued and read the status line of a command. */
int
pop3_reply(struct pop3 *p, int continuation, char **cause)
{
	if (pop3_flush(p, cause) != 0)
		return -1;
	return pop3_status(p, continuation, cause);
}

/*
 * Read the next line of a multi-line reply into buf (NUL-terminated,
 * dot-unstuffed). Returns 1 for a line, 0 at the final ".", -1 with
 * *cause; what names the reply in messages.
 */
static int
pop3_multiline(struct pop3 *p, const char *what, char *buf, size_t size,
    char **cause)
{
	const char	*line;
	size_t		 len;
	int		 partial;

	if (transport_getline(p->transport, &line, &len, &partial,
	    cause) != 0) {
		p->broken = "connection failed";
		return -1;
	}
	if (len == 1 && line[0] == '.' && !partial)
		return 0;
	if (len > 0 && line[0] == '.') {
		line++;
		len--;
	}
	if (partial || len >= size || memchr(line, '\0', len) != NULL) {
		printable_copy(buf, size > 64 ? 64 : size, line, len, 50);
		/* A long line is not finished: the rest would be misread. */
		if (partial)
			p->broken = "line too long";
		xasprintf(cause, "malformed %s line: \"%s\"", what, buf);
		return -1;
	}
	memcpy(buf, line, len);
	buf[len] = '\0';
	return 1;
}

/*
 * Read a multi-line reply (message m after RETR's +OK, or a listing when
 * m is NULL) up to the final ".", feeding the sink while feed is set.
 * Returns 0 at the ".", -1 with *cause; a message far larger than listed
 * (LF counted as CRLF at worst doubles it) or a listing longer than any
 * is given up before it fills the disk or holds the poll.
 */
static int
pop3_body(struct pop3 *p, const struct driver_message *m,
    const struct driver_sink *sink, void *arg, int feed, char **cause)
{
	const char		*line;
	size_t			 len;
	unsigned long long	 octets = 0, max;
	int			 partial, start = 1;

	max = m != NULL ? 2 * m->size + POP3_SIZE_SLACK : POP3_LISTING_MAX;

	for (;;) {
		if (transport_getline(p->transport, &line, &len, &partial,
		    cause) != 0) {
			p->broken = "connection failed";
			return -1;
		}
		octets += len + (partial ? 0 : 2);
		if (octets > max) {
			p->broken = "reply far too long";
			if (m != NULL)
				xasprintf(cause, "RETR %llu: the server sent far "
				    "more than the %llu octets it listed",
				    m->handle, m->size);
			else
				*cause = xstrdup("a listing that never ends");
			return -1;
		}
		if (start && len > 0 && line[0] == '.') {
			if (len == 1 && !partial)
				return 0;
			line++;
			len--;
		}
		if (feed && sink->data(arg, line, len, !partial) != 0)
			feed = 0;
		start = !partial;
	}
}

/* Find the APOP timestamp <...@...> in the greeting. */
static void
pop3_timestamp(struct pop3 *p)
{
	const char	*start, *end;

	p->timestamp[0] = '\0';
	if ((start = strchr(p->line, '<')) == NULL ||
	    (end = strchr(start, '>')) == NULL)
		return;
	if (memchr(start, '@', end - start) == NULL ||
	    (size_t)(end - start + 1) >= sizeof(p->timestamp))
		return;
	memcpy(p->timestamp, start, end - start + 1);
	p->timestamp[end - start + 1] = '\0';
}

/* Append word to a space-separated list, marking truncation with "...". */
static void
pop3_append(char *list, size_t size, const char *word)
{
	size_t	 len = strlen(list);

	if (len + 4 >= size)
		return;
	if (len > 0)
		list[len++] = ' ';
	if (strlcpy(list + len, word, size - len) >= size - len)
		memcpy(list + size - 4, "...", 4);
}

/* Note one CAPA line. */
static void
pop3_capability(struct pop3 *p, struct driver_info *info, char *line)
{
	char	*word, *rest;

	pop3_append(info->capabilities, sizeof(info->capabilities), line);
	rest = line;
	if ((word = strsep(&rest, " \t")) == NULL)
		return;
	if (strcasecmp(word, "STLS") == 0)
		p->stls = 1;
	else if (strcasecmp(word, "USER") == 0)
		p->user = 1;
	else if (strcasecmp(word, "PIPELINING") == 0)
		p->pipelining = 1;
	else if (strcasecmp(word, "SASL") == 0) {
		while ((word = strsep(&rest, " \t")) != NULL) {
			if (*word == '\0' || strlen(p->sasl) + strlen(word) +
			    2 >= sizeof(p->sasl))
				continue;
			if (p->sasl[0] == '\0')
				strlcat(p->sasl, " ", sizeof(p->sasl));
			strlcat(p->sasl, word, sizeof(p->sasl));
			strlcat(p->sasl, " ", sizeof(p->sasl));
		}
	}
}

/* CAPA (RFC 2449); a server without it is fine: old servers. */
static int
pop3_capa(struct pop3 *p, struct driver_info *info, char **cause)
{
	char	 line[512];
	int	 rc;

	p->capa = p->stls = p->user = p->pipelining = 0;
	p->sasl[0] = '\0';
	info->capabilities[0] = '\0';
	if (pop3_command(p, cause, NULL, "CAPA") != 0 ||
	    (rc = pop3_reply(p, 0, cause)) == -1)
		return -1;
	if (rc == POP3_ERR)
		return 0;
	p->capa = 1;
	while ((rc = pop3_multiline(p, "CAPA", line, sizeof(line),
	    cause)) == 1)
		pop3_capability(p, info, line);
	info->pipelining = p->pipelining;
	return rc;
}

/* Start TLS on the connection and record what it found. */
static int
pop3_tls(struct pop3 *p, const struct account *account,
    struct driver_info *info, char **cause)
{
	if (driver_starttls(p->transport, account, info, cause) != 0) {
		p->broken = "TLS failed";
		return -1;
	}
	p->tls = 1;
	return 0;
}

/* STLS: 0 TLS is on, 1 the server refused, -1 error. */
static int
pop3_stls(struct pop3 *p, const struct account *account,
    struct driver_info *info, char **cause)
{
	int	 rc;

	if (pop3_command(p, cause, NULL, "STLS") != 0 ||
	    (rc = pop3_reply(p, 0, cause)) == -1)
		return -1;
	if (rc == POP3_ERR)
		return 1;
	if (pop3_tls(p, account, info, cause) != 0)
		return -1;
	/* RFC 2595: forget what was said in the clear, ask again. */
	return pop3_capa(p, info, cause);
}

/*
 * STLS where the account needs it, after the first CAPA: a server that
 * offers none or refuses it ends the session before anything secret is
 * said (only tls = disable goes on in plain text).
 */
static int
pop3_negotiate(struct pop3 *p, const struct account *account,
    enum driver_tls mode, struct driver_info *info, char **cause)
{
	int	 rc;

	if (p->tls || mode == DRIVER_TLS_DISABLE)
		return 0;
	if (!p->stls) {
		*cause = driver_plain_refused(account, "server does not offer "
		    "STLS%s", p->capa ? "" : " (no CAPA)");
		return -1;
	}
	if ((rc = pop3_stls(p, account, info, cause)) == 1)
		*cause = driver_plain_refused(account, "STLS refused: %s",
		    p->reply);
	return rc == 0 ? 0 : -1;
}

/* The session up to a logged-in state. */
static int
pop3_start(struct pop3 *p, const struct account *account,
    const char *token_argv[], int timeout, struct driver_info *info,
    char **cause)
{
	enum driver_tls	 mode;
	int		 rc;

	if (driver_tls_mode(account, POP3_PORT_TLS, &mode, cause) != 0)
		return -1;
	if (mode == DRIVER_TLS_DIRECT &&
	    pop3_tls(p, account, info, cause) != 0)
		return -1;
	if ((rc = pop3_status(p, 0, cause)) == -1)
		return -1;
	if (rc != POP3_OK) {
		xasprintf(cause, "server greeting: %s", p->reply);
		return -1;
	}
	pop3_timestamp(p);
	if (pop3_capa(p, info, cause) != 0 ||
	    pop3_negotiate(p, account, mode, info, cause) != 0)
		return -1;
	return pop3_auth(p, account, token_argv, timeout, info, cause);
}

struct pop3 *
pop3_open_transport(struct transport *transport,
    const struct account *account, int timeout, const char *token_argv[],
    struct driver_info *info, char **cause)
{
	struct pop3	*p;

	p = xcalloc(1, sizeof(*p));
	p->transport = transport;
	p->host = xstrdup(account->host != NULL ? account->host : "");
	if (pop3_start(p, account, token_argv, timeout, info, cause) != 0) {
		pop3_close(p);
		return NULL;
	}
	return p;
}

struct pop3 *
pop3_open(const struct account *account, int timeout,
    const char *token_argv[], struct driver_info *info, char **cause)
{
	struct transport	*transport;
	int			 port = account->port;

	memset(info, 0, sizeof(*info));
	if (account->host == NULL || *account->host == '\0') {
		*cause = xstrdup("no host");
		return NULL;
	}
	if (port == 0)
		port = account->tls != NULL &&
		    strcmp(account->tls, "direct") == 0 ? POP3_PORT_TLS :
		    POP3_PORT;
	transport = transport_connect(account->host, port, timeout,
	    info->address, sizeof(info->address), cause);
	if (transport == NULL)
		return NULL;
	return pop3_open_transport(transport, account, timeout, token_argv,
	    info, cause);
}

/* Parse a decimal number of digits only, within [min, max]. */
static int
pop3_number(const char *s, unsigned long long min, unsigned long long max,
    unsigned long long *value)
{
	unsigned long long	 v = 0;

	if (*s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		if (*s < '0' || *s > '9' || v > (ULLONG_MAX - 9) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	if (v < min || v > max)
		return -1;
	*value = v;
	return 0;
}

/* Split "a b [rest]" at white space; -1 unless two words (plus rest). */
static int
pop3_fields(char *line, char **first, char **second, int rest_ok)
{
	char	*rest = line;

	*first = strsep(&rest, " ");
	if (rest == NULL)
		return -1;
	*second = strsep(&rest, " ");
	while (rest != NULL && *rest == ' ')
		rest++;
	if (!rest_ok && rest != NULL && *rest != '\0')
		return -1;
	return **first != '\0' && **second != '\0' ? 0 : -1;
}

int
pop3_stat(struct pop3 *p, unsigned *count, unsigned long long *size,
    char **cause)
{
	unsigned long long	 n;
	char			 line[sizeof(p->line)], *first, *second;
	int			 rc;

	if (pop3_command(p, cause, NULL, "STAT") != 0 ||
	    (rc = pop3_reply(p, 0, cause)) == -1)
		return -1;
	if (rc != POP3_OK) {
		xasprintf(cause, "STAT: %s", p->reply);
		return -1;
	}
	if (p->line[3] == ' ')
		strlcpy(line, p->line + 4, sizeof(line));
	else
		line[0] = '\0';
	if (pop3_fields(line, &first, &second, 1) != 0 ||
	    pop3_number(first, 0, UINT_MAX, &n) != 0 ||
	    pop3_number(second, 0, ULLONG_MAX, size) != 0) {
		xasprintf(cause, "malformed STAT reply: %s", p->reply);
		return -1;
	}
	*count = n;
	return 0;
}

/* Order by message number. */
static int
pop3_by_number(const void *a, const void *b)
{
	const struct driver_message	*ma = a, *mb = b;

	return ma->handle < mb->handle ? -1 : ma->handle > mb->handle;
}

/* Order pointers by UID. */
static int
pop3_by_uid(const void *a, const void *b)
{
	const struct driver_message	*const *ma = a, *const *mb = b;

	return strcmp((*ma)->uid, (*mb)->uid);
}

/* A UID as RFC 1939 allows: 1 to 70 characters 0x21 to 0x7e. */
static int
pop3_uid_valid(const char *uid)
{
	const char	*c;

	for (c = uid; *c != '\0'; c++) {
		if (*c < 0x21 || *c > 0x7e)
			return 0;
	}
	return c > uid && c - uid <= 70;
}

/* Read the UIDL listing into *list. */
static int
pop3_read_uidl(struct pop3 *p, struct driver_message **list, size_t *count,
    char **cause)
{
	struct driver_message	*m;
	unsigned long long	 n;
	char			 line[512], shown[64], *number, *uid;
	size_t			 size = 0;
	int			 rc;

	while ((rc = pop3_multiline(p, "UIDL", line, sizeof(line),
	    cause)) == 1) {
		printable_copy(shown, sizeof(shown), line, strlen(line), 50);
		if (pop3_fields(line, &number, &uid, 0) != 0 ||
		    pop3_number(number, 1, UINT_MAX, &n) != 0 ||
		    !pop3_uid_valid(uid)) {
			xasprintf(cause, "malformed UIDL line: \"%s\"", shown);
			return -1;
		}
		if (*count == POP3_MAX_MESSAGES) {
			xasprintf(cause, "more than %d messages in UIDL",
			    POP3_MAX_MESSAGES);
			return -1;
		}
		if (*count == size) {
			size = size == 0 ? 64 : size * 2;
			*list = xreallocarray(*list, size, sizeof(**list));
		}
		m = &(*list)[(*count)++];
		memset(m, 0, sizeof(*m));
		m->handle = n;
		strlcpy(m->uid, uid, sizeof(m->uid));
	}
	return rc;
}

/* Read the LIST listing and put the sizes into list (sorted by number). */
static int
pop3_read_list(struct pop3 *p, struct driver_message *list, size_t count,
    char **cause)
{
	struct driver_message	 key, *m;
	unsigned long long	 n, size;
	char			 line[512], shown[64], *number, *octets;
	size_t			 seen = 0, i;
	int			 rc;

	memset(&key, 0, sizeof(key));
	while ((rc = pop3_multiline(p, "LIST", line, sizeof(line),
	    cause)) == 1) {
		printable_copy(shown, sizeof(shown), line, strlen(line), 50);
		if (pop3_fields(line, &number, &octets, 1) != 0 ||
		    pop3_number(number, 1, UINT_MAX, &n) != 0 ||
		    pop3_number(octets, 0, ULLONG_MAX, &size) != 0) {
			xasprintf(cause, "malformed LIST line: \"%s\"", shown);
			return -1;
		}
		key.handle = n;
		m = count == 0 ? NULL : bsearch(&key, list, count,
		    sizeof(*list), pop3_by_number);
		if (m == NULL || m->size != 0 || seen == count) {
			xasprintf(cause, "LIST and UIDL disagree at \"%s\"",
			    shown);
			return -1;
		}
		/* size 0 doubles as "not listed yet"; keep it apart. */
		m->size = size + 1;
		seen++;
	}
	if (rc != 0)
		return -1;
	if (seen != count) {
		*cause = xstrdup("LIST and UIDL disagree: a message is "
		    "missing from LIST");
		return -1;
	}
	for (i = 0; i < count; i++)	/* list may be NULL when count is 0 */
		list[i].size--;
	return 0;
}

/* Sort by number and refuse duplicate numbers or UIDs. */
static int
pop3_check_list(struct driver_message *list, size_t count, char **cause)
{
	struct driver_message	**byuid;
	size_t			  i;
	int			  rc = 0;

	if (count == 0)
		return 0;
	qsort(list, count, sizeof(*list), pop3_by_number);
	for (i = 1; i < count; i++) {
		if (list[i].handle == list[i - 1].handle) {
			xasprintf(cause, "UIDL lists message %llu twice",
			    list[i].handle);
			return -1;
		}
	}
	/* Two messages with one UID would make the seen index delete
	 * the one never fetched: refuse the listing. */
	byuid = xreallocarray(NULL, count + 1, sizeof(*byuid));
	for (i = 0; i < count; i++)
		byuid[i] = &list[i];
	qsort(byuid, count, sizeof(*byuid), pop3_by_uid);
	for (i = 1; i < count && rc == 0; i++) {
		if (strcmp(byuid[i]->uid, byuid[i - 1]->uid) == 0) {
			xasprintf(cause, "UIDL gives messages %llu and %llu "
			    "the same UID %s", byuid[i - 1]->handle,
			    byuid[i]->handle, byuid[i]->uid);
			rc = -1;
		}
	}
	free(byuid);
	return rc;
}

int
pop3_list(struct pop3 *p, struct driver_message **list, size_t *count,
    char **cause)
{
	int	 uidl = -1, rc;

	*list = NULL;
	*count = 0;
	if (pop3_command(p, cause, NULL, "UIDL") != 0 ||
	    (p->pipelining && pop3_command(p, cause, NULL, "LIST") != 0) ||
	    (uidl = pop3_reply(p, 0, cause)) == -1)
		goto fail;
	if (uidl == POP3_ERR) {
		xasprintf(cause, "UIDL refused (the server must support "
		    "UIDL): %s", p->reply);
		/* Keep the session in step: read the pipelined LIST. */
		if (p->pipelining) {
			char	*ignored = NULL;

			if (pop3_status(p, 0, &ignored) != POP3_OK ||
			    pop3_body(p, NULL, NULL, NULL, 0, &ignored) != 0)
				p->broken = "listing failed";
			free(ignored);
		}
		goto fail;
	}
	if (pop3_read_uidl(p, list, count, cause) != 0 ||
	    pop3_check_list(*list, *count, cause) != 0)
		goto fail;
	if ((!p->pipelining && pop3_command(p, cause, NULL, "LIST") != 0) ||
	    (rc = pop3_reply(p, 0, cause)) == -1)
		goto fail;
	if (rc != POP3_OK) {
		xasprintf(cause, "LIST: %s", p->reply);
		goto fail;
	}
	if (pop3_read_list(p, *list, *count, cause) != 0)
		goto fail;
	return 0;
fail:
	/* An error in a listing leaves its other lines unread. */
	if (p->broken == NULL && uidl != POP3_ERR)
		p->broken = "listing failed";
	free(*list);
	*list = NULL;
	*count = 0;
	return -1;
}

int
pop3_retrieve(struct pop3 *p, const struct driver_message *list,
    const size_t *indexes, size_t count, const struct driver_sink *sink,
    void *arg, char **cause)
{
	size_t	 sent = 0, done, index, window;
	int	 rc, feed, stop = 0;

	window = p->pipelining ? POP3_RETR_WINDOW : 1;
	for (done = 0; done < count && (!stop || done < sent); done++) {
		for (; !stop && sent < count && sent - done < window; sent++) {
			if (pop3_command(p, cause, NULL, "RETR %llu",
			    list[indexes[sent]].handle) != 0)
				return -1;
		}
		if ((rc = pop3_reply(p, 0, cause)) == -1)
			return -1;
		if (stop) {
			/* Pipelined before the sink said stop: drain. */
			if (rc == POP3_OK && pop3_body(p,
			    &list[indexes[done]], NULL, NULL, 0, cause) != 0)
				return -1;
			continue;
		}
		index = indexes[done];
		feed = sink->begin(arg, index) == 0;
		if (rc == POP3_ERR) {
			stop = sink->end(arg, index, 0, p->reply) != 0;
			continue;
		}
		if (pop3_body(p, &list[index], sink, arg, feed, cause) != 0) {
			sink->end(arg, index, 0, NULL);
			return -1;
		}
		stop = sink->end(arg, index, 1, NULL) != 0;
	}
	return 0;
}

int
pop3_delete(struct pop3 *p, const struct driver_message *list,
    const size_t *indexes, size_t count, char **refused, char **cause)
{
	size_t	 sent = 0, done, window;
	int	 rc;

	window = p->pipelining ? POP3_DELE_WINDOW : 1;
	for (done = 0; done < count; done++) {
		for (; sent < count && sent - done < window; sent++) {
			if (pop3_command(p, cause, NULL, "DELE %llu",
			    list[indexes[sent]].handle) != 0)
				return -1;
		}
		if ((rc = pop3_reply(p, 0, cause)) == -1)
			return -1;
		/* A refused DELE leaves the session usable: go on. */
		refused[done] = rc == POP3_OK ? NULL : xstrdup(p->reply);
	}
	return 0;
}

int
pop3_quit(struct pop3 *p, char **cause)
{
	int	 rc;

	if (pop3_command(p, cause, NULL, "QUIT") != 0 ||
	    (rc = pop3_reply(p, 0, cause)) == -1)
		return -1;
	p->broken = "session ended with QUIT";
	if (rc != POP3_OK) {
		xasprintf(cause, "QUIT: %s", p->reply);
		return -1;
	}
	return 0;
}

const char *
pop3_last_reply(const struct pop3 *p)
{
	return p->reply;
}

void
pop3_close(struct pop3 *p)
{
	if (p == NULL)
		return;
	transport_free(p->transport);
	free(p->host);
	explicit_bzero(p, sizeof(*p));
	free(p);
}
