/*
 * One message as the milter sees it: its envelope recipients exactly as
 * Postfix gave them, and the headers that matter (the account tag, the
 * recipients and the Message-ID it is bound to, any Original-Recipient
 * headers). Pure logic, no libmilter.
 */
#ifndef MESSAGE_H
#define MESSAGE_H

#include <stddef.h>
#include <time.h>

#include "address.h"
#include "recipients.h"
#include "tag.h"

#define MESSAGE_ORIGINAL	"Original-Recipient"
#define MESSAGE_NOMEM		(-2)	/* message_account: out of memory */
#define MESSAGE_MAX_TAGS	16	/* tag values kept; more are only counted */
/* X-Postfetch-Recipients bytes kept: what RECIPIENTS_MAX addresses take */
#define MESSAGE_LISTS_MAX	(RECIPIENTS_MAX * (ADDRESS_MAX + 8))

struct message {
	char	**recipients;
	size_t	  nrecipients;
	char	**tags;		/* X-Postfetch-Account values, in order */
	size_t	  ntags;	/* how many such headers (may exceed kept) */
	size_t	  noriginals;	/* Original-Recipient headers present */
	char	 *lists;	/* X-Postfetch-Recipients values, each
				 * followed by a NUL, or NULL */
	size_t	  lists_len;	/* bytes in lists */
	size_t	  nlists;	/* such headers (all, kept or not) */
	int	  lists_long;	/* more than MESSAGE_LISTS_MAX: none kept */
	char	 *message_id;	/* the first Message-ID value, or NULL */
	struct recipients wanted; /* the verified tag's recipients */
	int	  smtp;		/* received by smtpd, not submitted locally */
	int	  port_unknown;	/* no {daemon_port}: smtp is a guess */
	int	  nomem;	/* something was not kept: out of memory */
};

/* Called for each tag that does not verify: its value and why. */
typedef void	(*message_report)(void *arg, const char *value,
		    const char *cause);

/*
 * Out of memory is no exit here: message_new returns NULL, and the other
 * functions set nomem (what was not kept is lost: answer a temporary
 * failure) or return MESSAGE_NOMEM.
 */
struct message	*message_new(void);
void		 message_free(struct message *);
/* Record an envelope recipient as Postfix gave it. */
void		 message_recipient(struct message *, const char *recipient);
/* Look at one header; remembers tags, recipient lists, the first
 * Message-ID and counts Original-Recipient headers. */
void		 message_header(struct message *, const char *name,
		    const char *value);
/*
 * The account named by the first tag that verifies under key at time now
 * and is bound to this message: its binding is that of the first
 * Message-ID and of the recipients of the X-Postfetch-Recipients headers
 * (tag_binding). Copies the account name to account, the IMAP folder it
 * names, or "", to folder, and the recipients to message->wanted; reports
 * every other tag. Returns 0, -1 if no tag verifies, or MESSAGE_NOMEM
 * if it could not tell (out of memory).
 */
int		 message_account(struct message *,
		    const unsigned char key[TAG_KEY_LEN], time_t now,
		    char *account, size_t accountlen, char *folder,
		    size_t folderlen, message_report, void *arg);

#endif
