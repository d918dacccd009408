/*
 * The X-Postfetch-Account header tag: "NAME; t=UNIXTIME; mac=HEX" where
 * HEX is the lower-case HMAC-SHA256 of "NAME;t=UNIXTIME" under the local
 * secret; a message from an IMAP folder has "NAME; t=UNIXTIME; f=FOLDER;
 * mac=HEX", the MAC over "NAME;t=UNIXTIME;f=FOLDER", FOLDER being the
 * modified UTF-7 name with ';', '%', '"', '\\' and blanks as %XX. A tag
 * bound to its message adds "b=BINDING;" before the mac (the MAC then
 * over "...;b=BINDING"): the SHA-256 of the message's Message-ID and of
 * the recipients it carries (tag_binding). The fetcher signs, the milter
 * verifies; a tag is trusted only when it parses strictly, its MAC
 * matches (constant-time compare) and its time is recent.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "tag.h"
#include "xmalloc.h"

#define TAG_NAME_MAX	64		/* characters of an account name */
#define TAG_MAC_HEX	64		/* hex characters of the MAC */
#define TAG_FUTURE	300		/* seconds of clock skew tolerated */

/* Nonzero if c may appear in an account name. */
static int
tag_name_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '@' ||
	    c == '+' || c == '-';
}

/* Nonzero if the len bytes at name are a valid account name. */
static int
tag_valid_name(const char *name, size_t len)
{
	size_t	 i;

	if (len == 0 || len > TAG_NAME_MAX || name[0] == '-')
		return 0;
	for (i = 0; i < len; i++) {
		if (!tag_name_char((unsigned char)name[i]))
			return 0;
	}
	return 1;
}

/* The value of one hex digit; lower only unless upper_ok; -1 if none. */
static int
tag_hex_value(int c, int upper_ok)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (upper_ok && c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Decode 2 * len hex characters into out; returns 0 or -1. */
static int
tag_hex_decode(const char *hex, unsigned char *out, size_t len, int upper_ok)
{
	size_t	 i;
	int	 high, low;

	for (i = 0; i < len; i++) {
		high = tag_hex_value((unsigned char)hex[2 * i], upper_ok);
		low = tag_hex_value((unsigned char)hex[2 * i + 1], upper_ok);
		if (high == -1 || low == -1)
			return -1;
		out[i] = (unsigned char)(high << 4 | low);
	}
	return 0;
}

/* The HMAC-SHA256 of "NAME;t=TIME" (name is len bytes), with a folder
 * (flen bytes, encoded) ";f=FOLDER" appended, with a binding (blen hex
 * digits) ";b=BINDING", into mac. */
static int
tag_mac(const unsigned char key[TAG_KEY_LEN], const char *name, size_t len,
    long long when, const char *folder, size_t flen, const char *binding,
    size_t blen, unsigned char mac[EVP_MAX_MD_SIZE])
{
	char		 data[TAG_NAME_MAX + TAG_FOLDER_MAX + TAG_BINDING_HEX +
			    48];
	unsigned int	 maclen = 0;
	int		 n, more;

	n = snprintf(data, sizeof(data), "%.*s;t=%lld", (int)len, name, when);
	if (n >= 0 && flen > 0 && (size_t)n < sizeof(data)) {
		more = snprintf(data + n, sizeof(data) - n, ";f=%.*s",
		    (int)flen, folder);
		n = more < 0 ? more : n + more;
	}
	if (n >= 0 && blen > 0 && (size_t)n < sizeof(data)) {
		more = snprintf(data + n, sizeof(data) - n, ";b=%.*s",
		    (int)blen, binding);
		n = more < 0 ? more : n + more;
	}
	if (n < 0 || (size_t)n >= sizeof(data))
		return -1;
	if (HMAC(EVP_sha256(), key, TAG_KEY_LEN, (unsigned char *)data, n,
	    mac, &maclen) == NULL || maclen != TAG_MAC_HEX / 2)
		return -1;
	return 0;
}

int
tag_load_key(const char *path, uid_t user, unsigned char key[TAG_KEY_LEN],
    char **cause)
{
	struct stat	 st;
	char		 buf[TAG_KEY_LEN * 2 + 2];
	size_t		 len = 0;
	ssize_t		 n;
	int		 fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		goto out;
	}
	/* whoever else owns it may read it, or write a key of theirs */
	if (st.st_uid != 0 && st.st_uid != user) {
		xasprintf(cause, "%s: owned by uid %u; it must belong to root "
		    "or to the postfetch user (uid %u)", path,
		    (unsigned int)st.st_uid, (unsigned int)user);
		goto out;
	}
	if ((st.st_mode & 077) != 0) {
		xasprintf(cause, "%s: group or others may access it (mode "
		    "%04o); it must be mode 0600 or 0400", path,
		    (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	if ((st.st_mode & 07777) != 0600 && (st.st_mode & 07777) != 0400) {
		xasprintf(cause, "%s: mode %04o; it must be mode 0600 or 0400",
		    path, (unsigned int)(st.st_mode & 07777));
		goto out;
	}
	/* One byte more than a valid file holds, to notice extra bytes. */
	while (len < sizeof(buf)) {
		n = read(fd, buf + len, sizeof(buf) - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		len += n;
	}
	if (len == TAG_KEY_LEN * 2 + 1 && buf[len - 1] == '\n')
		len--;
	if (len != TAG_KEY_LEN * 2 ||
	    tag_hex_decode(buf, key, TAG_KEY_LEN, 1) != 0) {
		xasprintf(cause, "%s: not a key (want %d hex characters and a "
		    "newline, as \"openssl rand -hex %d\" prints)", path,
		    TAG_KEY_LEN * 2, TAG_KEY_LEN);
		explicit_bzero(key, TAG_KEY_LEN);
		goto out;
	}
	rc = 0;
out:
	explicit_bzero(buf, sizeof(buf));
	close(fd);
	return rc;
}

/* Whether c stands for itself in an encoded folder name. */
static int
tag_folder_char(int c)
{
	return c > ' ' && c <= '~' && strchr(";%\"\\", c) == NULL;
}

/* Encode a folder name into buf (size TAG_FOLDER_MAX + 1); -1 if long. */
static int
tag_folder_encode(const char *folder, char *buf)
{
	size_t	 len = 0;

	for (; *folder != '\0'; folder++) {
		if (len + 3 >= TAG_FOLDER_MAX + 1)
			return -1;
		if (tag_folder_char((unsigned char)*folder))
			buf[len++] = *folder;
		else
			len += snprintf(buf + len, 4, "%%%02X",
			    (unsigned char)*folder);
	}
	buf[len] = '\0';
	return 0;
}

/* Whether s is a binding: TAG_BINDING_HEX lower-case hex digits. */
static int
tag_valid_binding(const char *s)
{
	size_t	 len;

	for (len = 0; tag_hex_value((unsigned char)s[len], 0) != -1; len++)
		;
	return len == TAG_BINDING_HEX && s[len] == '\0';
}

/* Write len bytes as lower-case hex into hex (2 * len + 1 bytes). */
static void
tag_hex_encode(const unsigned char *bytes, size_t len, char *hex)
{
	static const char	 digits[] = "0123456789abcdef";
	size_t			 i;

	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[bytes[i] >> 4];
		hex[2 * i + 1] = digits[bytes[i] & 0xf];
	}
	hex[2 * len] = '\0';
}

int
tag_sign(const unsigned char key[TAG_KEY_LEN], const char *account,
    const char *folder, const char *binding, time_t now, char *value,
    size_t valuelen)
{
	unsigned char		 mac[EVP_MAX_MD_SIZE];
	char			 hex[TAG_MAC_HEX + 1];
	char			 encoded[TAG_FOLDER_MAX + 1], part[TAG_FOLDER_MAX + 8];
	char			 bound[TAG_BINDING_HEX + 8];
	size_t			 len;
	int			 n;

	len = strlen(account);
	if (!tag_valid_name(account, len) || now < 0)
		return -1;
	encoded[0] = part[0] = bound[0] = '\0';
	if (folder != NULL && *folder != '\0') {
		if (tag_folder_encode(folder, encoded) != 0)
			return -1;
		snprintf(part, sizeof(part), " f=%s;", encoded);
	}
	if (binding != NULL && *binding != '\0') {
		if (!tag_valid_binding(binding))
			return -1;
		snprintf(bound, sizeof(bound), " b=%s;", binding);
	} else
		binding = "";
	if (tag_mac(key, account, len, (long long)now, encoded,
	    strlen(encoded), binding, strlen(binding), mac) != 0)
		return -1;
	tag_hex_encode(mac, TAG_MAC_HEX / 2, hex);
	n = snprintf(value, valuelen, "%s; t=%lld;%s%s mac=%s", account,
	    (long long)now, part, bound, hex);
	explicit_bzero(mac, sizeof(mac));
	if (n < 0 || (size_t)n >= valuelen)
		return -1;
	return 0;
}

/* Header white space, including folding (CR LF before WSP). */
static const char *
tag_skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* Step over "; WORD" (white space allowed around ';'); 0 or -1. */
static int
tag_expect(const char **p, const char *word)
{
	const char	*q;

	q = tag_skip_space(*p);
	if (*q != ';')
		return -1;
	q = tag_skip_space(q + 1);
	if (strncmp(q, word, strlen(word)) != 0)
		return -1;
	*p = q + strlen(word);
	return 0;
}

/* Step over an encoded folder name at *p; its length, or 0 if bad. */
static size_t
tag_folder_span(const char *p)
{
	size_t	 len = 0;

	while (len <= TAG_FOLDER_MAX) {
		if (tag_folder_char((unsigned char)p[len]))
			len++;
		else if (p[len] == '%' && tag_hex_value((unsigned char)
		    p[len + 1], 1) != -1 && tag_hex_value((unsigned char)
		    p[len + 2], 1) != -1)
			len += 3;
		else
			break;
	}
	return len <= TAG_FOLDER_MAX ? len : 0;
}

/* Decode len bytes of an encoded folder name into folder (size). */
static int
tag_folder_decode(const char *p, size_t len, char *folder, size_t size)
{
	size_t	 i, out = 0;

	for (i = 0; i < len; i++) {
		if (out + 1 >= size)
			return -1;
		if (p[i] == '%') {
			folder[out++] = (char)(tag_hex_value((unsigned char)
			    p[i + 1], 1) << 4 | tag_hex_value((unsigned char)
			    p[i + 2], 1));
			i += 2;
		} else
			folder[out++] = p[i];
	}
	folder[out] = '\0';
	return 0;
}

/*
 * Parse "NAME; t=TIME; [f=FOLDER;] [b=BINDING;] mac=HEX" (white space
 * allowed around each part). Returns 0 with the parts (folder: its
 * encoded bytes, flen 0 if none; binding: blen 0 if none), or -1 with
 * why not.
 */
static int
tag_parse(const char *value, const char **name, size_t *namelen,
    long long *when, const char **folder, size_t *flen,
    const char **binding, size_t *blen, unsigned char mac[TAG_MAC_HEX / 2],
    const char **why)
{
	const char	*p, *digits, *errstr;
	char		 number[24];
	size_t		 len;

	p = tag_skip_space(value);
	*name = p;
	while (tag_name_char((unsigned char)*p))
		p++;
	*namelen = p - *name;
	if (!tag_valid_name(*name, *namelen)) {
		*why = "bad account name";
		return -1;
	}
	if (tag_expect(&p, "t=") != 0) {
		*why = "malformed: no \"; t=\" after the account name";
		return -1;
	}
	digits = p;
	while (*p >= '0' && *p <= '9')
		p++;
	len = p - digits;
	if (len == 0 || len >= sizeof(number) ||
	    (digits[0] == '0' && len > 1)) {
		*why = "malformed: bad time";
		return -1;
	}
	memcpy(number, digits, len);
	number[len] = '\0';
	*when = strtonum(number, 0, LLONG_MAX, &errstr);
	if (errstr != NULL) {
		*why = "malformed: bad time";
		return -1;
	}
	*flen = 0;
	*folder = p;
	if (tag_expect(&p, "f=") == 0) {
		*folder = p;
		if ((*flen = tag_folder_span(p)) == 0) {
			*why = "malformed: bad folder";
			return -1;
		}
		p += *flen;
	}
	*blen = 0;
	*binding = p;
	if (tag_expect(&p, "b=") == 0) {
		*binding = p;
		for (len = 0; tag_hex_value((unsigned char)p[len], 0) != -1;
		    len++)
			;
		if (len != TAG_BINDING_HEX) {
			*why = "malformed: bad binding";
			return -1;
		}
		*blen = len;
		p += len;
	}
	if (tag_expect(&p, "mac=") != 0) {
		*why = "malformed: no \"; mac=\" after the time";
		return -1;
	}
	for (len = 0; tag_hex_value((unsigned char)p[len], 0) != -1; len++)
		;
	if (len != TAG_MAC_HEX ||
	    tag_hex_decode(p, mac, TAG_MAC_HEX / 2, 0) != 0) {
		*why = "malformed: the mac is not 64 lower-case hex digits";
		return -1;
	}
	if (*tag_skip_space(p + len) != '\0') {
		*why = "malformed: text after the mac";
		return -1;
	}
	return 0;
}

int
tag_verify(const unsigned char key[TAG_KEY_LEN], const char *value,
    time_t now, time_t max_age, char *account, size_t accountlen,
    char *folder, size_t folderlen, char binding[TAG_BINDING_HEX + 1],
    char **cause)
{
	unsigned char	 got[TAG_MAC_HEX / 2], want[EVP_MAX_MD_SIZE];
	const char	*name, *why = NULL, *encoded, *bound;
	char		 age[64];
	size_t		 namelen, flen, blen;
	long long	 when;
	int		 rc = -1;

	if (tag_parse(value, &name, &namelen, &when, &encoded, &flen, &bound,
	    &blen, got, &why) != 0)
		goto out;
	if (tag_mac(key, name, namelen, when, encoded, flen, bound, blen,
	    want) != 0) {
		why = "cannot compute the mac";
		goto out;
	}
	if (CRYPTO_memcmp(got, want, sizeof(got)) != 0) {
		why = "bad mac";
		goto out;
	}
	if (when < (long long)now - (long long)max_age) {
		snprintf(age, sizeof age, "stale (signed %llds ago)",
		    (long long)now - when);
		why = age;
		goto out;
	}
	if (when > (long long)now + TAG_FUTURE) {
		snprintf(age, sizeof age, "from the future (signed %llds "
		    "ahead)", when - (long long)now);
		why = age;
		goto out;
	}
	if (namelen >= accountlen) {
		why = "account name too long for the buffer";
		goto out;
	}
	if (folder != NULL && tag_folder_decode(encoded, flen, folder,
	    folderlen) != 0) {
		why = "folder name too long for the buffer";
		goto out;
	}
	memcpy(account, name, namelen);
	account[namelen] = '\0';
	if (binding != NULL) {
		memcpy(binding, bound, blen);
		binding[blen] = '\0';
	}
	rc = 0;
out:
	explicit_bzero(want, sizeof(want));
	/* Out of memory, even for the cause: none, but still -1. */
	if (rc != 0)
		*cause = strdup(why != NULL ? why : "malformed");
	return rc;
}

int
tag_binding(const char *message_id, char *const *recipients, size_t count,
    char binding[TAG_BINDING_HEX + 1])
{
	EVP_MD_CTX	*ctx;
	unsigned char	 digest[EVP_MAX_MD_SIZE];
	unsigned int	 len = 0;
	size_t		 i;
	int		 ok;

	/* Each part ends with a LF, which no part may contain. */
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		return -1;
	ok = EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, "id=", 3) == 1 &&
	    EVP_DigestUpdate(ctx, message_id, strlen(message_id)) == 1 &&
	    EVP_DigestUpdate(ctx, "\n", 1) == 1;
	for (i = 0; ok && i < count; i++)
		ok = EVP_DigestUpdate(ctx, recipients[i],
		    strlen(recipients[i])) == 1 &&
		    EVP_DigestUpdate(ctx, "\n", 1) == 1;
	ok = ok && EVP_DigestFinal_ex(ctx, digest, &len) == 1 &&
	    len == TAG_BINDING_HEX / 2;
	EVP_MD_CTX_free(ctx);
	if (!ok)
		return -1;
	tag_hex_encode(digest, TAG_BINDING_HEX / 2, binding);
	return 0;
}

void
tag_message_id(const char *value, char *buf, size_t len)
{
	const char	*id, *end;
	size_t		 out = 0;

	if (len == 0)
		return;
	if ((id = strchr(value, '<')) != NULL &&
	    (end = strchr(id, '>')) != NULL)
		id++;
	else {
		id = value;
		end = value + strlen(value);
	}
	/* Folding white space is dropped: folded or not, the same id. */
	for (; id < end && out + 1 < len; id++) {
		if (*id == ' ' || *id == '\t' || *id == '\r' || *id == '\n')
			continue;
		buf[out++] = *id > ' ' && *id <= '~' ? *id : '?';
	}
	buf[out] = '\0';
}
