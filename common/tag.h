/*
 * The X-Postfetch-Account header: the fetcher signs the account name with
 * HMAC-SHA256 under a local secret; the milter trusts only a valid tag.
 */
#ifndef TAG_H
#define TAG_H

#include <sys/types.h>

#include <stddef.h>
#include <time.h>

#define TAG_HEADER	"X-Postfetch-Account"
#define TAG_KEY_LEN	32		/* bytes; 64 hex characters in the file */
#define TAG_MAX_AGE	(7 * 24 * 3600)	/* seconds a tag stays valid */
#define TAG_FOLDER_MAX	512		/* bytes of an encoded folder name */
#define TAG_BINDING_HEX	64		/* hex digits of a binding */
#define TAG_VALUE_MAX	(256 + TAG_BINDING_HEX + TAG_FOLDER_MAX)
					/* a header value, with NUL */
#define TAG_ID_MAX	256		/* bytes of a bound Message-ID, with
					 * NUL: longer ones are cut */

/*
 * Read the key file: 64 hex characters and a newline. Refused unless it
 * belongs to root or to user (the one the programs run as) and is mode
 * 0600 or 0400, or when malformed.
 */
int	tag_load_key(const char *path, uid_t user,
	    unsigned char key[TAG_KEY_LEN], char **cause);
/*
 * Write the header value for account at time now into value
 * ("NAME; t=UNIXTIME; mac=HEX"); with folder (an IMAP folder's modified
 * UTF-7 name; NULL or "" for none) "NAME; t=UNIXTIME; f=FOLDER; mac=HEX";
 * with binding (from tag_binding; NULL or "" for none) "b=BINDING;"
 * before the mac. Returns 0, or -1 if the name is not a valid account
 * name, the folder too long, the binding malformed or the buffer too
 * small.
 */
int	tag_sign(const unsigned char key[TAG_KEY_LEN], const char *account,
	    const char *folder, const char *binding, time_t now, char *value,
	    size_t valuelen);
/*
 * Check a header value: well formed, MAC right (constant-time compare),
 * not older than max_age nor from the future (5 minutes slack). Returns 0
 * and copies the account name, the folder ("" if none; folder may be
 * NULL) and the binding ("" if none; binding may be NULL), or -1 with
 * *cause ("bad mac", "stale"...; NULL out of memory). Whether a binding
 * is required, and whether it matches the message, is the caller's
 * business.
 */
int	tag_verify(const unsigned char key[TAG_KEY_LEN], const char *value,
	    time_t now, time_t max_age, char *account, size_t accountlen,
	    char *folder, size_t folderlen, char binding[TAG_BINDING_HEX + 1],
	    char **cause);
/*
 * The binding of a message: the SHA-256 (hex) of "id=MESSAGEID\n" and
 * of each recipient followed by "\n", the recipients in the order of the
 * X-Postfetch-Recipients headers. Returns 0, or -1 (out of memory).
 */
int	tag_binding(const char *message_id, char *const *recipients,
	    size_t count, char binding[TAG_BINDING_HEX + 1]);
/*
 * The Message-ID a tag is bound to, from a Message-ID header value: what
 * is between the first '<' and the next '>' (else the whole value),
 * folding white space dropped, other bytes outside '!'..'~' as '?', cut
 * to len - 1 bytes.
 */
void	tag_message_id(const char *value, char *buf, size_t len);

#endif
