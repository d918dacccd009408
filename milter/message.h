/*
 * One message as the milter sees it: its envelope recipients exactly as
 * Postfix gave them, and the headers that matter (the account tag and any
 * Original-Recipient headers). Pure logic, no libmilter.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <time.h>

#include "tag.h"

#define MESSAGE_ORIGINAL	"Original-Recipient"
#define MESSAGE_MAX_TAGS	16	/* tag values kept; more are only counted */

struct message {
	char	**recipients;
	size_t	  nrecipients;
	char	**tags;		/* X-Postfetch-Account values, in order */
	size_t	  ntags;	/* how many such headers (may exceed kept) */
	size_t	  noriginals;	/* Original-Recipient headers present */
	int	  smtp;		/* received by smtpd, not submitted locally */
};

/* Called for each tag that does not verify: its value and why. */
typedef void	(*message_report)(void *arg, const char *value,
		    const char *cause);

struct message	*message_new(void);
void		 message_free(struct message *);
/* Record an envelope recipient as Postfix gave it. */
void		 message_recipient(struct message *, const char *recipient);
/* Look at one header; remembers tags and Original-Recipient headers. */
void		 message_header(struct message *, const char *name,
		    const char *value);
/*
 * The account named by the first tag that verifies under key at time now
 * (copied to account, with the IMAP folder it names, or "", to folder);
 * reports every other tag. Returns 0, or -1 if no tag verifies.
 */
int		 message_account(const struct message *,
		    const unsigned char key[TAG_KEY_LEN], time_t now,
		    char *account, size_t accountlen, char *folder,
		    size_t folderlen, message_report, void *arg);

#endif
