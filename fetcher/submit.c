/*
 * The SMTP side of a "sendmail -bs" session: one short reply per command,
 * read through the transport's bounded line reader with its timeout, and
 * the message streamed from its spool file: CR LF for each LF, dots
 * stuffed, every other byte (NUL, CR, 8-bit) passed on as it is, which
 * comes out of Postfix as through "sendmail -i" (fetch_session.t).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "clock.h"
#include "inject.h"
#include "log.h"
#include "smtp.h"
#include "submit.h"
#include "transport.h"
#include "xmalloc.h"

#define SUBMIT_CHUNK	65536	/* bytes read from the spool at once */

struct submit {
	struct inject		*process;
	struct transport	*transport;
	int			 replies;	/* its output, for poll(2) */
	int			 timeout;	/* s */
	int			 utf8;		/* SMTPUTF8 offered */
	int			 busy;		/* awaiting a final reply */
	long long		 sent;		/* clock_ms() of the "." */
	char			*broken;	/* why it cannot go on */
	struct smtp_reply	 reply;		/* the last one */
};

/* The session cannot go on; keep the first cause. Returns -1. */
static int
submit_break(struct submit *s, const char *why, char **cause)
{
	char	*ended;

	if (s->broken == NULL) {
		ended = inject_ended(s->process);
		s->broken = xprintf("%s: %s", why, ended);
		free(ended);
	}
	if (cause != NULL)
		*cause = xstrdup(s->broken);
	return -1;
}

/* Note an SMTPUTF8 line of an EHLO reply. */
static void
submit_extension(void *arg, const char *text)
{
	struct submit	*s = arg;

	if (strncasecmp(text, "SMTPUTF8", 8) == 0 &&
	    (text[8] == '\0' || text[8] == ' '))
		s->utf8 = 1;
}

/*
 * Read one reply (smtp.h). Returns its code, or -1 with *cause when the
 * session broke.
 */
static int
submit_reply(struct submit *s, char **cause)
{
	char	*why = NULL;
	int	 code;

	if ((code = smtp_reply_read(s->transport, &s->reply,
	    submit_extension, s, &why)) == -1) {
		submit_break(s, why, cause);
		free(why);
	}
	return code;
}

/* Queue a command line. */
static int
submit_command(struct submit *s, char **cause, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int
submit_command(struct submit *s, char **cause, const char *fmt, ...)
{
	va_list	 ap;
	char	*line, *why = NULL;
	int	 rc = 0;

	va_start(ap, fmt);
	if (vasprintf(&line, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	log_debug("sendmail -bs: > %s", line);
	if (transport_write(s->transport, line, strlen(line), &why) != 0 ||
	    transport_write(s->transport, "\r\n", 2, &why) != 0) {
		rc = submit_break(s, why, cause);
		free(why);
	}
	free(line);
	return rc;
}

/* Send what is queued and read the reply: its code, or -1. */
static int
submit_exchange(struct submit *s, char **cause)
{
	char	*why = NULL;

	if (transport_flush(s->transport, &why) != 0) {
		submit_break(s, why, cause);
		free(why);
		return -1;
	}
	return submit_reply(s, cause);
}

struct submit *
submit_start(char *const *argv, int timeout, char **cause)
{
	struct submit	*s;
	struct pollfd	 pfd;
	int		 to_child, from_child, wait;

	s = xcalloc(1, sizeof(*s));
	s->timeout = timeout;
	s->process = inject_start_session(argv, timeout, &to_child,
	    &from_child, cause);
	if (s->process == NULL) {
		free(s);
		return NULL;
	}
	s->replies = from_child;
	s->transport = transport_fds(from_child, to_child, timeout);
	/* a program that does not speak SMTP says nothing: not long */
	wait = timeout > 0 && timeout < SUBMIT_GREETING ? timeout :
	    SUBMIT_GREETING;
	pfd.fd = from_child;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, wait * 1000) == 0) {
		submit_break(s, "no SMTP greeting", cause);
		submit_free(s);
		return NULL;
	}
	if (submit_reply(s, cause) != 220 ||
	    submit_command(s, cause, "EHLO localhost") != 0 ||
	    submit_exchange(s, cause) != 250) {
		if (s->broken == NULL)
			*cause = xprintf("sendmail -bs refused the session: %s",
			    s->reply.text);
		submit_free(s);
		return NULL;
	}
	return s;
}

/* Whether an address needs SMTPUTF8. */
static int
submit_8bit(const char *address)
{
	for (; *address != '\0'; address++) {
		if ((unsigned char)*address >= 0x80)
			return 1;
	}
	return 0;
}

/*
 * The envelope; each reply is read before the next command, so that a
 * refused recipient never lets a DATA through. 0, or -1 with *cause (the
 * transaction is reset when the session goes on).
 */
static int
submit_envelope(struct submit *s, const char *sender,
    char *const *recipients, size_t count, char **cause)
{
	size_t	 i;
	int	 utf8 = s->utf8 && submit_8bit(sender), code;

	for (i = 0; i < count; i++)
		utf8 |= s->utf8 && submit_8bit(recipients[i]);
	if (submit_command(s, cause, "MAIL FROM:<%s> BODY=8BITMIME%s", sender,
	    utf8 ? " SMTPUTF8" : "") != 0 ||
	    (code = submit_exchange(s, cause)) == -1)
		return -1;
	for (i = 0; code == 250 && i < count; i++) {
		if (submit_command(s, cause, "RCPT TO:<%s>",
		    recipients[i]) != 0 ||
		    (code = submit_exchange(s, cause)) == -1)
			return -1;
	}
	if (code == 250 && (submit_command(s, cause, "DATA") != 0 ||
	    (code = submit_exchange(s, cause)) == -1))
		return -1;
	if (code == 354)
		return 0;
	*cause = xprintf("sendmail -bs refused the message: %s",
	    s->reply.text);
	if (submit_command(s, NULL, "RSET") != 0 ||
	    submit_exchange(s, NULL) != 250)
		submit_break(s, "RSET failed", NULL);
	return -1;
}

/* Queue len bytes of data. */
static int
submit_put(struct submit *s, const char *data, size_t len, char **cause)
{
	char	*why = NULL;

	if (len == 0 || transport_write(s->transport, data, len, &why) == 0)
		return 0;
	submit_break(s, why, cause);
	free(why);
	return -1;
}

/* The spool file as SMTP data; start: at the start of a line. */
static int
submit_data(struct submit *s, int fd, char **cause)
{
	char	*buf, *p, *end, *lf;
	ssize_t	 n;
	int	 start = 1, rc = -1;

	buf = xmalloc(SUBMIT_CHUNK);
	while ((n = read(fd, buf, SUBMIT_CHUNK)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			*cause = xprintf("spool file: %s", strerror(errno));
			submit_break(s, "spool file unreadable", NULL);
			goto out;
		}
		p = buf;
		end = buf + n;
		while (p < end) {
			if (start && *p == '.' && submit_put(s, ".", 1,
			    cause) != 0)
				goto out;
			if ((lf = memchr(p, '\n', end - p)) == NULL) {
				if (submit_put(s, p, end - p, cause) != 0)
					goto out;
				start = 0;
				break;
			}
			if (submit_put(s, p, lf - p, cause) != 0 ||
			    submit_put(s, "\r\n", 2, cause) != 0)
				goto out;
			p = lf + 1;
			start = 1;
		}
	}
	/* the spool always ends with a LF; a last line without one ends */
	if (!start && submit_put(s, "\r\n", 2, cause) != 0)
		goto out;
	rc = submit_put(s, ".\r\n", 3, cause);
out:
	free(buf);
	return rc;
}

int
submit_send(struct submit *s, const char *sender, char *const *recipients,
    size_t count, int fd, char **cause)
{
	char	*why = NULL;

	if (s->broken != NULL) {
		*cause = xstrdup(s->broken);
		return -1;
	}
	if (sender[0] == '-' || count == 0) {
		*cause = xstrdup(count == 0 ? "no recipients" :
		    "a sender that starts with '-'");
		return -1;
	}
	if (submit_envelope(s, sender, recipients, count, cause) != 0 ||
	    submit_data(s, fd, cause) != 0)
		return -1;
	if (transport_flush(s->transport, &why) != 0) {
		submit_break(s, why, cause);
		free(why);
		return -1;
	}
	s->busy = 1;
	s->sent = clock_ms();
	return 0;
}

int
submit_poll(struct submit *s, char **cause)
{
	struct pollfd	 pfd;
	int		 code;

	if (!s->busy)
		return INJECT_RUNNING;
	inject_drain(s->process);	/* its complaints must not block it */
	pfd.fd = s->replies;
	pfd.events = POLLIN;
	if (poll(&pfd, 1, 0) == 0) {
		if (clock_ms() - s->sent < s->timeout * 1000LL)
			return INJECT_RUNNING;
		s->busy = 0;
		submit_break(s, "timed out", cause);
		return INJECT_FAILED;
	}
	s->busy = 0;
	if ((code = submit_reply(s, cause)) == -1)
		return INJECT_FAILED;
	if (code == 250)
		return INJECT_DELIVERED;
	*cause = xprintf("sendmail -bs refused the message: %s",
	    s->reply.text);
	return INJECT_FAILED;
}

void
submit_pollfds(const struct submit *s, struct pollfd *fds)
{
	inject_pollfds(s->process, fds);
	fds[0].fd = s->replies;
	fds[0].events = POLLIN;
}

int
submit_busy(const struct submit *s)
{
	return s->busy;
}

int
submit_usable(struct submit *s)
{
	struct pollfd	 pfd;
	char		*cause = NULL;

	if (s->broken != NULL || s->busy)
		return s->broken == NULL;
	pfd.fd = s->replies;
	pfd.events = POLLIN;
	/* an idle server speaks only to say goodbye (421) */
	if (poll(&pfd, 1, 0) > 0 && submit_reply(s, &cause) != -1)
		submit_break(s, s->reply.text, NULL);
	free(cause);
	return s->broken == NULL;
}

void
submit_free(struct submit *s)
{
	char	*ended;

	if (s == NULL)
		return;
	if (s->broken == NULL && !s->busy &&
	    submit_command(s, NULL, "QUIT") == 0)
		submit_exchange(s, NULL);
	transport_free(s->transport);	/* EOF: it ends, or was killed */
	if (s->broken == NULL) {
		ended = inject_ended(s->process);
		free(ended);
	}
	inject_free(s->process);
	free(s->broken);
	free(s);
}
