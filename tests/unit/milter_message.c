/* Unit tests of milter/message.c: header collection and tag verification. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../../milter/message.h"
#include "tap.h"

static const unsigned char key[TAG_KEY_LEN] = {
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
	17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
};

static int	reports;
static char	last_report[256];

/* Count the reports and keep the last cause. */
static void
report(void *arg, const char *value, const char *cause)
{
	(void)arg;
	(void)value;
	reports++;
	snprintf(last_report, sizeof last_report, "%s", cause);
}

/* The message the tags of verify() are bound to. */
#define BOUND_ID	"<id1@remote.example>"
#define BOUND_LIST	" <a@remote.example>,\r\n\t<B@remote.example>"
static char *const bound_list[] = { "a@remote.example", "B@remote.example" };

/* A signed tag value for account at time when, with a leading space,
 * bound to BOUND_ID and BOUND_LIST. */
static void
sign(const char *account, time_t when, char *value, size_t length)
{
	char	 binding[TAG_BINDING_HEX + 1];

	value[0] = ' ';
	if (tag_binding("id1@remote.example", bound_list, 2, binding) != 0 ||
	    tag_sign(key, account, NULL, binding, when, value + 1,
	    length - 1) != 0) {
		ok(0, "tag_sign %s", account);
		exit(1);
	}
}

/* Run message_account over the given tag values, with the Message-ID id
 * and the recipient list (NULL: none) after them. */
static int
verify_bound(const char *const *values, size_t count, char *account,
    size_t length, const char *id, const char *list)
{
	struct message	*message = message_new();
	char		 folder[TAG_VALUE_MAX];
	size_t		 i;
	int		 rc;

	if (id != NULL)
		message_header(message, "message-id", id);
	message_header(message, "Message-ID", "<second@remote.example>");
	if (list != NULL)
		message_header(message, RECIPIENTS_HEADER, list);
	for (i = 0; i < count; i++)
		message_header(message, i % 2 ? "x-postfetch-account" :
		    TAG_HEADER, values[i]);
	reports = 0;
	last_report[0] = '\0';
	account[0] = '\0';
	rc = message_account(message, key, time(NULL), account, length,
	    folder, sizeof(folder), report, NULL);
	if (rc == 0 && (message->wanted.count != 2 ||
	    strcmp(message->wanted.list[1], "B@remote.example") != 0))
		rc = -2;
	message_free(message);
	return rc;
}

/* verify_bound with the message the tags were signed for. */
static int
verify(const char *const *values, size_t count, char *account, size_t length)
{
	return verify_bound(values, count, account, length, BOUND_ID,
	    BOUND_LIST);
}

int
main(void)
{
	struct message	*message;
	char		 good[TAG_VALUE_MAX + 1], other[TAG_VALUE_MAX + 1];
	char		 stale[TAG_VALUE_MAX + 1], forged[TAG_VALUE_MAX + 1];
	char		 account[TAG_VALUE_MAX], *p;
	const char	*values[MESSAGE_MAX_TAGS + 2];
	time_t		 now = time(NULL);
	size_t		 i;

	sign("shop", now, good, sizeof good);
	sign("other", now - 60, other, sizeof other);
	sign("shop", now - TAG_MAX_AGE - 3600, stale, sizeof stale);
	/* The same tag with the account name changed: the MAC no longer fits. */
	snprintf(forged, sizeof forged, "%s", good);
	if ((p = strstr(forged, "shop")) != NULL)
		memcpy(p, "shoq", 4);

	message = message_new();
	message_header(message, "Subject", "hello");
	message_header(message, "X-POSTFETCH-ACCOUNT", good);
	message_header(message, "original-recipient", "rfc822;a@b");
	message_recipient(message, "<a@b>");
	message_recipient(message, "c@d");
	is_int(message->ntags, 1, "tag header found in any case");
	is_int(message->noriginals, 1, "Original-Recipient counted");
	is_str(message->tags[0], good + 1, "tag value trimmed");
	is_int(message->nrecipients, 2, "recipients kept");
	is_str(message->recipients[0], "<a@b>", "recipient exactly as given");
	message_free(message);

	values[0] = good;
	is_int(verify(values, 1, account, sizeof account), 0, "valid tag");
	is_str(account, "shop", "valid tag names its account");
	is_int(reports, 0, "valid tag: nothing reported");

	values[0] = forged;
	is_int(verify(values, 1, account, sizeof account), -1, "forged tag");
	is_int(reports, 1, "forged tag reported");

	values[0] = stale;
	is_int(verify(values, 1, account, sizeof account), -1, "stale tag");
	is_int(reports, 1, "stale tag reported");

	values[0] = " shop; t=1; mac=zz";
	is_int(verify(values, 1, account, sizeof account), -1, "damaged tag");

	values[0] = forged;
	values[1] = good;
	is_int(verify(values, 2, account, sizeof account), 0,
	    "forged tag before a valid one");
	is_str(account, "shop", "the valid one counts");
	is_int(reports, 1, "the forged one is reported");

	values[0] = good;
	values[1] = other;
	is_int(verify(values, 2, account, sizeof account), 0,
	    "two valid tags of different accounts");
	is_str(account, "shop", "the first one counts");
	is_int(reports, 1, "the second one is reported");

	for (i = 0; i < MESSAGE_MAX_TAGS + 2; i++)
		values[i] = forged;
	is_int(verify(values, MESSAGE_MAX_TAGS + 2, account, sizeof account),
	    -1, "many forged tags");
	is_int(reports, MESSAGE_MAX_TAGS + 1,
	    "each kept one reported, and the rest once");

	values[0] = good;
	is_int(verify(values, 1, account, 3), -1,
	    "account name longer than the buffer refused");

	/* The binding: the first Message-ID and the recipients. */
	is_int(verify_bound(values, 1, account, sizeof account,
	    "<id1@remote.example>\r\n", " <a@remote.example>, "
	    "<B@remote.example>"), 0, "bound: folded differently, still valid");
	is_int(verify_bound(values, 1, account, sizeof account,
	    "<id2@remote.example>", BOUND_LIST), -1, "another Message-ID");
	is_str(last_report, "bound to another Message-ID or other recipients",
	    "... reported");
	is_int(verify_bound(values, 1, account, sizeof account, NULL,
	    BOUND_LIST), -1, "the first Message-ID is another one");
	is_int(verify_bound(values, 1, account, sizeof account, BOUND_ID,
	    " <a@remote.example>, <b@remote.example>"), -1,
	    "a recipient changed");
	is_int(verify_bound(values, 1, account, sizeof account, BOUND_ID,
	    " <a@remote.example>"), -1, "a recipient removed");
	is_int(verify_bound(values, 1, account, sizeof account, BOUND_ID,
	    NULL), -1, "no recipient list");
	is_str(last_report, "no " RECIPIENTS_HEADER " header", "... reported");
	is_int(verify_bound(values, 1, account, sizeof account, BOUND_ID,
	    " <a@remote.example> <B@remote.example>"), -1,
	    "a malformed list");
	is_str(last_report, RECIPIENTS_HEADER ": text after an address",
	    "... reported");
	{
		char	 unbound[TAG_VALUE_MAX + 1];

		unbound[0] = ' ';
		tag_sign(key, "shop", NULL, NULL, now, unbound + 1,
		    sizeof unbound - 1);
		values[0] = unbound;
		is_int(verify(values, 1, account, sizeof account), -1,
		    "a tag bound to nothing");
		is_str(last_report, "not bound to a message", "... reported");
	}
	return done_testing();
}
