/*
 * IMAP client session (RFC 3501, 9051; 2595 STARTTLS; 7888 literals):
 * connecting, the greeting, capabilities, TLS as the account says,
 * tagged commands and the wait for their completion over the response
 * reader. After a network or protocol error the session is marked broken
 * and refuses further commands. Logging in is in imap_auth.c, folders and
 * messages in imap_mail.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "driver.h"
#include "imap_session.h"
#include "log.h"
#include "transport.h"
#include "xmalloc.h"

#define IMAP_PORT	143
#define IMAP_PORT_TLS	993	/* imaps, implicit TLS (RFC 8314) */

int
imap_break(struct imap *i, const char *why, char **cause)
{
	if (i->broken == NULL)
		i->broken = why;
	if (cause != NULL && *cause == NULL)
		*cause = xstrdup(why);
	return -1;
}

/* Refuse to go on after an error that left the session out of step. */
static int
imap_usable(struct imap *i, char **cause)
{
	if (i->broken == NULL)
		return 0;
	xasprintf(cause, "IMAP session unusable: %s", i->broken);
	return -1;
}

/* Queue bytes; a failure breaks the session. */
static int
imap_write(struct imap *i, const char *data, size_t len, char **cause)
{
	if (transport_write(i->transport, data, len, cause) != 0) {
		i->broken = "write failed";
		return -1;
	}
	return 0;
}

int
imap_put(struct imap *i, const char *line, const char *trace, char **cause)
{
	if (imap_usable(i, cause) != 0)
		return -1;
	log_debug("imap %s: > %s", i->host, trace != NULL ? trace : line);
	if (imap_write(i, line, strlen(line), cause) != 0 ||
	    imap_write(i, "\r\n", 2, cause) != 0)
		return -1;
	return 0;
}

/* The next tag. */
static void
imap_tag(struct imap *i, char tag[IMAP_TAG_MAX + 1])
{
	snprintf(tag, IMAP_TAG_MAX + 1, "a%u", ++i->tags);
	i->responses = 0;
}

int
imap_command(struct imap *i, char tag[IMAP_TAG_MAX + 1], char **cause,
    const char *trace, const char *fmt, ...)
{
	char	 buf[IMAP_COMMAND_MAX], shown[128];
	va_list	 ap;
	int	 n, m, rc;

	if (imap_usable(i, cause) != 0)
		return -1;
	imap_tag(i, tag);
	n = snprintf(buf, sizeof(buf), "%s ", tag);
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - n, fmt, ap);
	va_end(ap);
	if (m < 0 || (size_t)m >= sizeof(buf) - n ||
	    strpbrk(buf, "\r\n") != NULL) {
		explicit_bzero(buf, sizeof(buf));
		return imap_break(i, "command too long or malformed", cause);
	}
	if (trace != NULL)
		snprintf(shown, sizeof(shown), "%s %s", tag, trace);
	rc = imap_put(i, buf, trace != NULL ? shown : NULL, cause);
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

/* Whether s can go as a quoted string: 7-bit, no CR or LF. */
static int
imap_quotable(const char *s)
{
	for (; *s != '\0'; s++) {
		if ((unsigned char)*s >= 0x80 || *s == '\r' || *s == '\n')
			return 0;
	}
	return 1;
}

/* Append s as a quoted string to buf. */
static int
imap_add_quoted(char *buf, size_t size, size_t *len, const char *s)
{
	if (*len + 1 >= size)
		return -1;
	buf[(*len)++] = '"';
	for (; *s != '\0'; s++) {
		if (*len + 3 >= size)
			return -1;
		if (*s == '"' || *s == '\\')
			buf[(*len)++] = '\\';
		buf[(*len)++] = *s;
	}
	buf[(*len)++] = '"';
	buf[*len] = '\0';
	return 0;
}

/* Wait for the "+" that lets a literal of verb follow (no LITERAL+). */
static int
imap_continue(struct imap *i, const char *tag, const char *verb,
    char **cause)
{
	struct imap_response	*r;
	int			 rc;

	if (imap_flush(i, cause) != 0)
		return -1;
	for (;;) {
		if (imap_next(i, NULL, &r, cause) != 0)
			return -1;
		if (strcmp(r->tag, "+") == 0) {
			imap_response_free(r);
			return 0;
		}
		rc = strcmp(r->tag, tag) == 0;
		if (rc) {
			xasprintf(cause, "%s: %s", verb, i->reply);
			i->broken = "literal refused";
		}
		imap_response_free(r);
		if (rc)
			return -1;
	}
}

int
imap_command_strings(struct imap *i, char tag[IMAP_TAG_MAX + 1],
    const char *verb, const char *const *args, size_t nargs, int secret,
    char **cause)
{
	char	 buf[IMAP_COMMAND_MAX], trace[256];
	size_t	 len, n, arg;
	int	 rc = -1, plus = (i->caps & IMAP_CAP_LITERALPLUS) != 0;

	if (imap_usable(i, cause) != 0)
		return -1;
	imap_tag(i, tag);
	len = snprintf(buf, sizeof(buf), "%s %s", tag, verb);
	snprintf(trace, sizeof(trace), "%s %s%s", tag, verb,
	    secret ? " ... <redacted>" : " ...");
	for (arg = 0; arg < nargs; arg++) {
		if (len + 2 >= sizeof(buf))
			goto toolong;
		buf[len++] = ' ';
		buf[len] = '\0';
		if (imap_quotable(args[arg])) {
			if (imap_add_quoted(buf, sizeof(buf), &len,
			    args[arg]) != 0)
				goto toolong;
			continue;
		}
		if (strpbrk(args[arg], "\r\n") != NULL)
			goto toolong;
		n = strlen(args[arg]);
		len += snprintf(buf + len, sizeof(buf) - len, "{%zu%s}", n,
		    plus ? "+" : "");
		if (len >= sizeof(buf) || imap_put(i, buf, trace, cause) != 0)
			goto toolong;
		if (!plus && imap_continue(i, tag, verb, cause) != 0)
			goto out;
		if (imap_write(i, args[arg], n, cause) != 0)
			goto out;
		len = 0;
		buf[0] = '\0';
	}
	rc = imap_put(i, buf, trace, cause);
	goto out;
toolong:
	if (*cause == NULL)
		xasprintf(cause, "%s command too long or malformed", verb);
	i->broken = "command too long or malformed";
out:
	explicit_bzero(buf, sizeof(buf));
	return rc;
}

int
imap_flush(struct imap *i, char **cause)
{
	if (transport_flush(i->transport, cause) != 0) {
		i->broken = "write failed";
		return -1;
	}
	return 0;
}

/* Whether word (a capability) is name, or name=... for AUTH. */
void
imap_note_capabilities(struct imap *i, const struct imap_item *list,
    size_t first)
{
	static const struct {
		const char	*name;
		unsigned	 flag;
	} known[] = {
		{ "IMAP4rev1", IMAP_CAP_IMAP4 },
		{ "IMAP4rev2", IMAP_CAP_IMAP4 },
		{ "STARTTLS", IMAP_CAP_STARTTLS },
		{ "LOGINDISABLED", IMAP_CAP_LOGINDISABLED },
		{ "UIDPLUS", IMAP_CAP_UIDPLUS },
		{ "LITERAL+", IMAP_CAP_LITERALPLUS },
		{ "SASL-IR", IMAP_CAP_SASL_IR },
	};
	const char	*word;
	size_t		 n, k, len;

	i->caps = 0;
	i->sasl[0] = i->capabilities[0] = '\0';
	i->caps_known = 1;
	for (n = first; n < imap_count(list); n++) {
		if ((word = imap_string(imap_child(list, n))) == NULL ||
		    imap_type(imap_child(list, n)) != IMAP_ATOM)
			continue;
		len = strlen(i->capabilities);
		if (len + strlen(word) + 5 < sizeof(i->capabilities))
			snprintf(i->capabilities + len,
			    sizeof(i->capabilities) - len, "%s%s",
			    len > 0 ? " " : "", word);
		for (k = 0; k < sizeof(known) / sizeof(known[0]); k++) {
			if (strcasecmp(word, known[k].name) == 0)
				i->caps |= known[k].flag;
		}
		if (strncasecmp(word, "AUTH=", 5) == 0 &&
		    strlen(i->sasl) + strlen(word) + 2 < sizeof(i->sasl)) {
			if (i->sasl[0] == '\0')
				strlcat(i->sasl, " ", sizeof(i->sasl));
			strlcat(i->sasl, word + 5, sizeof(i->sasl));
			strlcat(i->sasl, " ", sizeof(i->sasl));
		}
	}
}

/* Keep the sequence numbers of the listing in step with an EXPUNGE. */
static void
imap_expunged(struct imap *i, unsigned long seq)
{
	size_t	 n, out = 0;

	for (n = 0; n < i->nseqs; n++) {
		if (i->seqs[n].seq == seq)
			continue;
		i->seqs[out] = i->seqs[n];
		if (i->seqs[out].seq > seq)
			i->seqs[out].seq--;
		out++;
	}
	i->nseqs = out;
	if (i->exists > 0)
		i->exists--;
}

/* What every response may tell, whoever waits for it. */
static void
imap_note(struct imap *i, const struct imap_response *r)
{
	const struct imap_item	*first, *second;
	long long		 n;

	if (r->status != IMAP_STATUS_NONE && r->code != NULL &&
	    imap_is_atom(imap_child(r->code, 0), "CAPABILITY"))
		imap_note_capabilities(i, r->code, 1);
	if (strcmp(r->tag, "*") != 0 || r->status != IMAP_STATUS_NONE)
		return;
	first = imap_child(&r->items, 0);
	second = imap_child(&r->items, 1);
	if (imap_is_atom(first, "CAPABILITY"))
		imap_note_capabilities(i, &r->items, 1);
	else if (imap_number(first, &n) == 0 && n >= 0 && n <= 0xffffffffLL) {
		if (imap_is_atom(second, "EXISTS"))
			i->exists = n;
		else if (imap_is_atom(second, "EXPUNGE") && n > 0)
			imap_expunged(i, n);
	}
}

int
imap_next(struct imap *i, const struct imap_stream *stream,
    struct imap_response **rp, char **cause)
{
	struct imap_response	*r;
	const char		*text;

	*rp = NULL;
	if (imap_usable(i, cause) != 0)
		return -1;
	if (imap_read(i->reader, stream, &r, cause) != 0) {
		i->broken = "connection failed";
		if (i->said_bye) {
			free(*cause);
			xasprintf(cause, "server closed the session: BYE %s",
			    i->bye);
		}
		return -1;
	}
	log_debug("imap %s: < %s", i->host, r->shown);
	/* A server that answers for ever holds the poll for ever. */
	if (++i->responses > IMAP_MAX_RESPONSES) {
		xasprintf(cause, "more than %d responses to one command, the "
		    "last: %s", IMAP_MAX_RESPONSES, r->shown);
		imap_response_free(r);
		i->broken = "responses that never end";
		return -1;
	}
	imap_note(i, r);
	if (strcmp(r->tag, "*") != 0 && strcmp(r->tag, "+") != 0) {
		text = r->shown + strlen(r->tag);
		strlcpy(i->reply, *text == ' ' ? text + 1 : text,
		    sizeof(i->reply));
	}
	if (r->status == IMAP_BYE) {
		/* The server says goodbye: it closes the connection next. */
		text = imap_string(r->text);
		strlcpy(i->bye, text != NULL ? text : "", sizeof(i->bye));
		i->said_bye = 1;
	}
	*rp = r;
	return 0;
}

int
imap_wait(struct imap *i, const char *tag, imap_handler handler, void *arg,
    char **cause)
{
	struct imap_response	*r;
	enum imap_status	 status;

	if (imap_flush(i, cause) != 0)
		return -1;
	for (;;) {
		if (imap_next(i, NULL, &r, cause) != 0)
			return -1;
		if (strcmp(r->tag, tag) == 0) {
			status = r->status;
			imap_response_free(r);
			return status;
		}
		if (strcmp(r->tag, "+") == 0) {
			imap_response_free(r);
			return imap_break(i, "unexpected continuation request",
			    cause);
		}
		if (strcmp(r->tag, "*") != 0) {
			xasprintf(cause, "response with an unknown tag: %s",
			    r->shown);
			imap_response_free(r);
			return imap_break(i, "unknown tag", NULL);
		}
		if (handler != NULL && r->status != IMAP_BYE &&
		    handler(i, r, arg, cause) != 0) {
			imap_response_free(r);
			return imap_break(i, "unexpected response", cause);
		}
		imap_response_free(r);
	}
}

/* Ask for the capabilities (they may change with TLS and login). */
static int
imap_capability(struct imap *i, char **cause)
{
	char	 tag[IMAP_TAG_MAX + 1];
	int	 rc;

	i->caps_known = 0;
	if (imap_command(i, tag, cause, NULL, "CAPABILITY") != 0 ||
	    (rc = imap_wait(i, tag, NULL, NULL, cause)) == -1)
		return -1;
	if (rc != IMAP_OK || !i->caps_known) {
		xasprintf(cause, "CAPABILITY: %s", rc != IMAP_OK ? i->reply :
		    "no capabilities listed");
		return imap_break(i, "no capabilities", NULL);
	}
	return 0;
}

/* Start TLS on the connection and record what it found. */
static int
imap_tls(struct imap *i, const struct account *account,
    struct driver_info *info, char **cause)
{
	if (driver_starttls(i->transport, account, info, cause) != 0) {
		i->broken = "TLS failed";
		return -1;
	}
	i->tls = 1;
	return 0;
}

/* STARTTLS: 0 TLS is on, 1 the server refused, -1 error. */
static int
imap_starttls(struct imap *i, const struct account *account,
    struct driver_info *info, char **cause)
{
	char	 tag[IMAP_TAG_MAX + 1];
	int	 rc;

	if (imap_command(i, tag, cause, NULL, "STARTTLS") != 0 ||
	    (rc = imap_wait(i, tag, NULL, NULL, cause)) == -1)
		return -1;
	if (rc != IMAP_OK)
		return 1;
	if (imap_tls(i, account, info, cause) != 0)
		return -1;
	/* RFC 2595: forget what was said in the clear, ask again. */
	return imap_capability(i, cause);
}

/*
 * STARTTLS where the account needs it. A server that offers none or
 * refuses it ends the session before anything secret is said, and so
 * does a PREAUTH greeting on a plain link, which leaves no way to start
 * TLS (CVE-2021-39272): only tls = disable goes on in plain text.
 */
static int
imap_negotiate(struct imap *i, const struct account *account,
    enum driver_tls mode, struct driver_info *info, char **cause)
{
	int	 rc;

	if (i->tls || mode == DRIVER_TLS_DISABLE)
		return 0;
	if (i->preauth) {
		*cause = driver_plain_refused(account, "server greeted PREAUTH "
		    "on an unencrypted connection, so TLS cannot be started");
		return -1;
	}
	if (!(i->caps & IMAP_CAP_STARTTLS)) {
		*cause = driver_plain_refused(account, "server does not offer "
		    "STARTTLS");
		return -1;
	}
	if ((rc = imap_starttls(i, account, info, cause)) == 1)
		*cause = driver_plain_refused(account, "STARTTLS refused: %s",
		    i->reply);
	return rc == 0 ? 0 : -1;
}

/* The greeting: OK, PREAUTH or BYE, maybe with capabilities. */
static int
imap_greeting(struct imap *i, char **cause)
{
	struct imap_response	*r;
	int			 rc = 0;

	if (imap_next(i, NULL, &r, cause) != 0)
		return -1;
	if (strcmp(r->tag, "*") != 0 || (r->status != IMAP_OK &&
	    r->status != IMAP_PREAUTH)) {
		xasprintf(cause, "server greeting: %s", r->shown);
		rc = imap_break(i, "bad greeting", NULL);
	} else
		i->preauth = r->status == IMAP_PREAUTH;
	imap_response_free(r);
	return rc;
}

/* The session up to a logged-in state. */
static int
imap_start(struct imap *i, const struct account *account,
    const struct driver_options *options, struct driver_info *info,
    char **cause)
{
	enum driver_tls	 mode;

	if (driver_tls_mode(account, IMAP_PORT_TLS, &mode, cause) != 0)
		return -1;
	if (mode == DRIVER_TLS_DIRECT &&
	    imap_tls(i, account, info, cause) != 0)
		return -1;
	if (imap_greeting(i, cause) != 0 ||
	    (!i->caps_known && imap_capability(i, cause) != 0) ||
	    imap_negotiate(i, account, mode, info, cause) != 0)
		return -1;
	if (!(i->caps & IMAP_CAP_IMAP4)) {
		xasprintf(cause, "server is not IMAP4rev1 (capabilities: %s)",
		    i->capabilities);
		return -1;
	}
	if (i->preauth)
		strlcpy(info->auth_method, "PREAUTH",
		    sizeof(info->auth_method));
	else if (imap_auth(i, account, options, info, cause) != 0)
		return -1;
	/* Logging in may change them: ask unless the OK said. */
	if (!i->caps_known && imap_capability(i, cause) != 0)
		return -1;
	strlcpy(info->capabilities, i->capabilities,
	    sizeof(info->capabilities));
	return 0;
}

struct imap *
imap_open_transport(struct transport *transport,
    const struct account *account, const struct driver_options *options,
    struct driver_info *info, char **cause)
{
	struct imap	*i;

	i = xcalloc(1, sizeof(*i));
	i->transport = transport;
	i->reader = imap_reader_new(transport, IMAP_LITERAL_MAX);
	i->host = xstrdup(account->host != NULL ? account->host : "");
	i->account = xstrdup(account->name != NULL ? account->name : "");
	i->keep = account->keep;
	if (imap_start(i, account, options, info, cause) != 0) {
		imap_close(i);
		return NULL;
	}
	return i;
}

struct imap *
imap_open(const struct account *account,
    const struct driver_options *options, struct driver_info *info,
    char **cause)
{
	struct transport	*transport;
	int			 port = account->port;

	if (account->host == NULL || *account->host == '\0') {
		*cause = xstrdup("no host");
		return NULL;
	}
	if (port == 0)
		port = account->tls != NULL &&
		    strcmp(account->tls, "direct") == 0 ? IMAP_PORT_TLS :
		    IMAP_PORT;
	transport = transport_connect(account->host, port, options->timeout,
	    info->address, sizeof(info->address), cause);
	if (transport == NULL)
		return NULL;
	return imap_open_transport(transport, account, options, info, cause);
}

void
imap_close(struct imap *i)
{
	if (i == NULL)
		return;
	imap_unselect(i);
	imap_reader_free(i->reader);
	transport_free(i->transport);
	xfreev(i->listed);
	free(i->host);
	free(i->account);
	explicit_bzero(i, sizeof(*i));
	free(i);
}
