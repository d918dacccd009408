/*
 * One message as the milter sees it: recipients and the headers that
 * decide its account. The glue feeds it from the libmilter callbacks.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "message.h"
#include "xmalloc.h"

#define VALUE_KEEP	(TAG_VALUE_MAX * 2)	/* longer ones are bad anyway */

struct message *
message_new(void)
{
	return xcalloc(1, sizeof(struct message));
}

void
message_free(struct message *message)
{
	size_t	 i;

	if (message == NULL)
		return;
	for (i = 0; i < message->nrecipients; i++)
		free(message->recipients[i]);
	free(message->recipients);
	for (i = 0; i < message->ntags && i < MESSAGE_MAX_TAGS; i++)
		free(message->tags[i]);
	free(message->tags);
	free(message);
}

void
message_recipient(struct message *message, const char *recipient)
{
	message->recipients = xreallocarray(message->recipients,
	    message->nrecipients + 1, sizeof *message->recipients);
	message->recipients[message->nrecipients++] = xstrdup(recipient);
}

/* A copy of a header value without surrounding white space or line ends. */
static char *
trimmed(const char *value)
{
	size_t	 length;

	while (isspace((unsigned char)*value))
		value++;
	length = strnlen(value, VALUE_KEEP);
	while (length > 0 && isspace((unsigned char)value[length - 1]))
		length--;
	return xstrndup(value, length);
}

void
message_header(struct message *message, const char *name, const char *value)
{
	if (strcasecmp(name, MESSAGE_ORIGINAL) == 0) {
		message->noriginals++;
		return;
	}
	if (strcasecmp(name, TAG_HEADER) != 0)
		return;
	if (message->ntags < MESSAGE_MAX_TAGS) {
		message->tags = xreallocarray(message->tags,
		    message->ntags + 1, sizeof *message->tags);
		message->tags[message->ntags] = trimmed(value);
	}
	message->ntags++;
}

int
message_account(const struct message *message,
    const unsigned char key[TAG_KEY_LEN], time_t now, char *account,
    size_t accountlen, char *folder, size_t folderlen,
    message_report report, void *arg)
{
	char	*cause, name[TAG_VALUE_MAX], where[TAG_VALUE_MAX];
	size_t	 i, kept;
	int	 found = 0;

	kept = message->ntags < MESSAGE_MAX_TAGS ? message->ntags :
	    MESSAGE_MAX_TAGS;
	for (i = 0; i < kept; i++) {
		cause = NULL;
		if (tag_verify(key, message->tags[i], now, TAG_MAX_AGE, name,
		    sizeof name, where, sizeof where, &cause) != 0) {
			report(arg, message->tags[i], cause);
			free(cause);
			continue;
		}
		if (found) {
			if (strcmp(name, account) != 0)
				report(arg, message->tags[i],
				    "a second account; the first one counts");
			continue;
		}
		if (strlcpy(account, name, accountlen) >= accountlen ||
		    strlcpy(folder, where, folderlen) >= folderlen) {
			report(arg, message->tags[i], "account or folder name "
			    "too long");
			continue;
		}
		found = 1;
	}
	if (message->ntags > kept)
		report(arg, "...", "too many tags; the rest were not checked");
	return found ? 0 : -1;
}
