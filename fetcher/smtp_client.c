/*
 * The client side of an SMTP session (smtp_client.h): commands and
 * replies, EHLO/HELO, STARTTLS, QUIT, with the reader's bounds and the
 * transport's timeout on every step. Secret commands (AUTH) never reach
 * the trace.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "driver.h"
#include "log.h"
#include "smtp_client.h"
#include "transport.h"
#include "xmalloc.h"

void
smtp_client_hostname(char *name, size_t size)
{
	if (gethostname(name, size) == -1 || name[0] == '\0')
		strlcpy(name, "localhost", size);
	name[size - 1] = '\0';
}

int
smtp_client_read(struct smtp_client *c, const char *what,
    void (*each)(void *, const char *), char **cause)
{
	char	*why = NULL;
	int	 code;

	if ((code = smtp_reply_read(c->transport, &c->reply, each, c,
	    &why)) == -1) {
		c->broken = 1;
		xasprintf(cause, "%s: %s", what, why);
		free(why);
		return -1;
	}
	log_debug("%s: < %s", c->trace, c->reply.text);
	return code;
}

int
smtp_client_command(struct smtp_client *c, const char *what,
    void (*each)(void *, const char *), char **cause, const char *fmt, ...)
{
	char	 line[SMTP_COMMAND_MAX], *why = NULL;
	va_list	 ap;
	int	 n, redact = c->redact;

	c->redact = 0;
	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n > sizeof(line) - 3 ||
	    strpbrk(line, "\r\n") != NULL) {
		explicit_bzero(line, sizeof(line));
		xasprintf(cause, "%s: command too long or malformed", what);
		return -1;
	}
	log_debug("%s: > %s", c->trace, redact ? what : line);
	if (transport_write(c->transport, line, n, &why) != 0 ||
	    transport_write(c->transport, "\r\n", 2, &why) != 0 ||
	    transport_flush(c->transport, &why) != 0) {
		explicit_bzero(line, sizeof(line));
		c->broken = 1;
		xasprintf(cause, "%s: %s", what, why);
		free(why);
		return -1;
	}
	explicit_bzero(line, sizeof(line));
	return smtp_client_read(c, what, each, cause);
}

/* Note one line of the EHLO reply (the first names the server). */
static void
smtp_client_extension(void *arg, const char *text)
{
	struct smtp_client	*c = arg;
	char			*list = c->info->capabilities;
	size_t			 size = sizeof(c->info->capabilities);

	if (c->line++ == 0)
		return;
	if (strncasecmp(text, "STARTTLS", 8) == 0 &&
	    (text[8] == '\0' || text[8] == ' '))
		c->starttls = 1;
	if (strncasecmp(text, "AUTH ", 5) == 0)
		strlcpy(c->auth, text + 5, sizeof(c->auth));
	if (strlen(list) + strlen(text) + 2 > size)
		return;
	if (list[0] != '\0')
		strlcat(list, " ", size);
	strlcat(list, text, size);
}

int
smtp_client_hello(struct smtp_client *c, char **cause)
{
	int	 code;

	c->starttls = 0;
	c->line = 0;
	c->auth[0] = '\0';
	c->info->capabilities[0] = '\0';
	if ((code = smtp_client_command(c, "EHLO", smtp_client_extension,
	    cause, "EHLO %s", c->hostname)) == -1)
		return -1;
	if (code == 250)
		return 0;
	c->info->capabilities[0] = '\0';
	c->auth[0] = '\0';
	if (code / 100 != 5) {
		xasprintf(cause, "EHLO refused: %s", c->reply.text);
		return -1;
	}
	c->helo = 1;
	log_debug("%s: EHLO refused, trying HELO", c->trace);
	if ((code = smtp_client_command(c, "HELO", NULL, cause, "HELO %s",
	    c->hostname)) == -1)
		return -1;
	if (code != 250) {
		xasprintf(cause, "EHLO and HELO refused: %s", c->reply.text);
		return -1;
	}
	return 0;
}

int
smtp_client_starttls(struct smtp_client *c, char **cause)
{
	int	 code;

	if ((code = smtp_client_command(c, "STARTTLS", NULL, cause,
	    "STARTTLS")) == -1)
		return -1;
	if (code != 220)
		return 1;
	if (driver_starttls(c->transport, c->account, c->info, cause) != 0) {
		c->broken = 1;
		return -1;
	}
	/* forget what was said in the clear, and ask again */
	return smtp_client_hello(c, cause);
}

void
smtp_client_quit(struct smtp_client *c)
{
	char	*why = NULL;

	if (c->greeted && !c->broken &&
	    smtp_client_command(c, "QUIT", NULL, &why, "QUIT") == -1) {
		log_debug("%s: %s", c->trace, why);
		free(why);
	}
}
