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
	return calloc(1, sizeof(struct message));
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
	free(message->lists);
	free(message->message_id);
	recipients_free(&message->wanted);
	free(message);
}

/*
 * Append a copy of value (at most length bytes) to the array *list of
 * *count strings. Returns 0, or -1 out of memory (nothing changed).
 */
static int
append_copy(char ***list, size_t *count, const char *value, size_t length)
{
	char	**grown, *copy;

	if ((copy = strndup(value, length)) == NULL)
		return -1;
	if ((grown = reallocarray(*list, *count + 1, sizeof *grown)) == NULL) {
		free(copy);
		return -1;
	}
	grown[(*count)++] = copy;
	*list = grown;
	return 0;
}

void
message_recipient(struct message *message, const char *recipient)
{
	if (append_copy(&message->recipients, &message->nrecipients,
	    recipient, strlen(recipient)) != 0)
		message->nomem = 1;
}

/*
 * Keep a tag value, without surrounding white space or line ends, as
 * tags[ntags]. Returns 0, or -1 out of memory.
 */
static int
keep_tag(struct message *message, const char *value)
{
	size_t	 length, kept = message->ntags;

	while (isspace((unsigned char)*value))
		value++;
	length = strnlen(value, VALUE_KEEP);
	while (length > 0 && isspace((unsigned char)value[length - 1]))
		length--;
	return append_copy(&message->tags, &kept, value, length);
}

/* Keep one X-Postfetch-Recipients value, within MESSAGE_LISTS_MAX. */
static void
keep_list(struct message *message, const char *value)
{
	char	*lists;
	size_t	 length;

	message->nlists++;
	if (message->lists_long)
		return;
	length = strnlen(value, MESSAGE_LISTS_MAX + 1);
	if (length > MESSAGE_LISTS_MAX - message->lists_len) {
		message->lists_long = 1;
		free(message->lists);
		message->lists = NULL;
		message->lists_len = 0;
		return;
	}
	lists = realloc(message->lists, message->lists_len + length + 1);
	if (lists == NULL) {
		message->nomem = 1;
		return;
	}
	message->lists = lists;
	memcpy(message->lists + message->lists_len, value, length);
	message->lists[message->lists_len + length] = '\0';
	message->lists_len += length + 1;
}

void
message_header(struct message *message, const char *name, const char *value)
{
	if (strcasecmp(name, MESSAGE_ORIGINAL) == 0) {
		message->noriginals++;
		return;
	}
	if (strcasecmp(name, RECIPIENTS_HEADER) == 0) {
		keep_list(message, value);
		return;
	}
	if (strcasecmp(name, "Message-ID") == 0) {
		if (message->message_id == NULL &&
		    (message->message_id = strndup(value, VALUE_KEEP)) == NULL)
			message->nomem = 1;
		return;
	}
	if (strcasecmp(name, TAG_HEADER) != 0)
		return;
	if (message->ntags < MESSAGE_MAX_TAGS && keep_tag(message, value) != 0) {
		message->nomem = 1;
		return;
	}
	message->ntags++;
}

/*
 * The binding of this message: of its first Message-ID and the recipients
 * of its X-Postfetch-Recipients headers, read into *wanted. Returns 0, -1
 * with *cause, or MESSAGE_NOMEM.
 */
static int
message_binding(const struct message *message, struct recipients *wanted,
    char binding[TAG_BINDING_HEX + 1], char **cause)
{
	char		 id[TAG_ID_MAX], *why = NULL;
	const char	*value;
	size_t		 i;
	int		 rc;

	if (message->lists_long)
		return asprintf(cause, "%s headers longer than %d bytes",
		    RECIPIENTS_HEADER, MESSAGE_LISTS_MAX) == -1 ?
		    MESSAGE_NOMEM : -1;
	if (message->nlists == 0)
		return asprintf(cause, "no %s header", RECIPIENTS_HEADER) ==
		    -1 ? MESSAGE_NOMEM : -1;
	for (i = 0, value = message->lists; i < message->nlists;
	    i++, value += strlen(value) + 1) {
		if ((rc = recipients_parse(wanted, value, &why)) != 0) {
			recipients_free(wanted);
			if (rc == RECIPIENTS_NOMEM || asprintf(cause, "%s: %s",
			    RECIPIENTS_HEADER, why) == -1)
				rc = MESSAGE_NOMEM;
			free(why);
			return rc == MESSAGE_NOMEM ? MESSAGE_NOMEM : -1;
		}
	}
	id[0] = '\0';
	if (message->message_id != NULL)
		tag_message_id(message->message_id, id, sizeof id);
	if (tag_binding(id, wanted->list, wanted->count, binding) != 0) {
		recipients_free(wanted);
		return MESSAGE_NOMEM;
	}
	return 0;
}

int
message_account(struct message *message,
    const unsigned char key[TAG_KEY_LEN], time_t now, char *account,
    size_t accountlen, char *folder, size_t folderlen,
    message_report report, void *arg)
{
	char	*cause, name[TAG_VALUE_MAX], where[TAG_VALUE_MAX];
	char	 signed_binding[TAG_BINDING_HEX + 1];
	char	 binding[TAG_BINDING_HEX + 1];
	char	*why = NULL;
	size_t	 i, kept;
	int	 found = 0, bound;

	recipients_free(&message->wanted);
	bound = message_binding(message, &message->wanted, binding, &why);
	if (bound == MESSAGE_NOMEM)
		return MESSAGE_NOMEM;
	kept = message->ntags < MESSAGE_MAX_TAGS ? message->ntags :
	    MESSAGE_MAX_TAGS;
	for (i = 0; i < kept; i++) {
		cause = NULL;
		if (tag_verify(key, message->tags[i], now, TAG_MAX_AGE, name,
		    sizeof name, where, sizeof where, signed_binding,
		    &cause) != 0) {
			if (cause == NULL) {
				free(why);
				recipients_free(&message->wanted);
				return MESSAGE_NOMEM;
			}
			report(arg, message->tags[i], cause);
			free(cause);
			continue;
		}
		if (signed_binding[0] == '\0') {
			report(arg, message->tags[i], "not bound to a message");
			continue;
		}
		if (bound != 0) {
			report(arg, message->tags[i], why);
			continue;
		}
		if (strcmp(signed_binding, binding) != 0) {
			report(arg, message->tags[i], "bound to another "
			    "Message-ID or other recipients");
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
	free(why);
	if (!found)
		recipients_free(&message->wanted);
	return found ? 0 : -1;
}
