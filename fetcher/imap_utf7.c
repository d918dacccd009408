/*
 * IMAP modified UTF-7 (RFC 3501 section 5.1.3): printable ASCII stands
 * for itself ('&' as "&-"); any other run of characters is UTF-16BE in
 * base64 with ',' for '/', no '=' padding, between '&' and '-'. Decoding
 * is as strict as Dovecot's: every name has one encoding, and any other
 * spelling of it is refused. No locale is consulted.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap_utf7.h"
#include "log.h"
#include "xmalloc.h"

static const char imap_utf7_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+,";

/* An output buffer sized in advance for the worst case. */
struct utf7_out {
	char	*buf;
	size_t	 len;
	size_t	 size;
};

/* Whether an octet stands for itself in a modified UTF-7 name. */
static int
utf7_printable(uint32_t c)
{
	return c >= 0x20 && c <= 0x7e;
}

/* Start an output buffer of size octets, the NUL included. */
static void
utf7_out_start(struct utf7_out *out, size_t size)
{
	out->buf = xmalloc(size);
	out->size = size;
	out->len = 0;
}

/*
 * The output as a string, or NULL (and the buffer freed) if it failed
 * or is longer than IMAP_UTF7_MAX: the other direction would refuse it.
 */
static char *
utf7_out_finish(struct utf7_out *out, int failed)
{
	if (failed || out->len > IMAP_UTF7_MAX) {
		free(out->buf);
		return NULL;
	}
	out->buf[out->len] = '\0';
	return out->buf;
}

/* Append one octet; the buffer was sized for the worst case. */
static void
utf7_put(struct utf7_out *out, char c)
{
	if (out->len + 1 >= out->size)
		fatalx("%s: output larger than its bound", __func__);
	out->buf[out->len++] = c;
}

/* Value of a modified base64 character, or -1. */
static int
utf7_base64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == ',')
		return 63;
	return -1;
}

/*
 * Read one UTF-8 character at *p into *code and step past it; -1 if it
 * is not the shortest form of a Unicode scalar value (RFC 3629).
 */
static int
utf8_next(const unsigned char **p, uint32_t *code)
{
	const unsigned char	*s = *p;
	uint32_t		 c, min;
	size_t			 len, i;

	if (s[0] < 0x80) {
		*code = s[0];
		*p = s + 1;
		return 0;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		min = 0x80;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		min = 0x800;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		min = 0x10000;
		c = s[0] & 0x07;
	} else
		return -1;
	/* the terminating NUL is no continuation octet: truncation stops */
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*code = c;
	*p = s + len;
	return 0;
}

/* Append a Unicode scalar value as UTF-8. */
static void
utf8_put(struct utf7_out *out, uint32_t c)
{
	if (c < 0x80)
		utf7_put(out, (char)c);
	else if (c < 0x800) {
		utf7_put(out, (char)(0xc0 | c >> 6));
		utf7_put(out, (char)(0x80 | (c & 0x3f)));
	} else if (c < 0x10000) {
		utf7_put(out, (char)(0xe0 | c >> 12));
		utf7_put(out, (char)(0x80 | (c >> 6 & 0x3f)));
		utf7_put(out, (char)(0x80 | (c & 0x3f)));
	} else {
		utf7_put(out, (char)(0xf0 | c >> 18));
		utf7_put(out, (char)(0x80 | (c >> 12 & 0x3f)));
		utf7_put(out, (char)(0x80 | (c >> 6 & 0x3f)));
		utf7_put(out, (char)(0x80 | (c & 0x3f)));
	}
}

/*
 * Encode the run of characters at *p that cannot stand for themselves,
 * "&...-", and step past it; -1 if it is not valid UTF-8.
 */
static int
utf7_encode_shift(const unsigned char **p, struct utf7_out *out)
{
	uint32_t	 code, units[2], bits = 0;
	size_t		 count, nbits = 0, i;

	utf7_put(out, '&');
	while (**p != '\0' && !utf7_printable(**p)) {
		if (utf8_next(p, &code) == -1)
			return -1;
		if (code >= 0x10000) {
			code -= 0x10000;
			units[0] = 0xd800 | code >> 10;
			units[1] = 0xdc00 | (code & 0x3ff);
			count = 2;
		} else {
			units[0] = code;
			count = 1;
		}
		for (i = 0; i < count; i++) {
			bits = (bits << 16 | units[i]) & 0x3fffff;
			nbits += 16;
			while (nbits >= 6) {
				nbits -= 6;
				utf7_put(out,
				    imap_utf7_alphabet[bits >> nbits & 0x3f]);
			}
		}
	}
	/* the last character is padded with zero bits */
	if (nbits > 0)
		utf7_put(out, imap_utf7_alphabet[bits << (6 - nbits) & 0x3f]);
	utf7_put(out, '-');
	return 0;
}

char *
imap_utf7_encode(const char *utf8)
{
	const unsigned char	*p = (const unsigned char *)utf8;
	struct utf7_out		 out;
	size_t			 len;

	if ((len = strnlen(utf8, IMAP_UTF7_MAX + 1)) > IMAP_UTF7_MAX)
		return NULL;
	/* worst case: a lone control character, 1 octet -> "&AAE-" */
	utf7_out_start(&out, 5 * len + 1);
	while (*p != '\0') {
		if (*p == '&') {
			utf7_put(&out, '&');
			utf7_put(&out, '-');
			p++;
		} else if (utf7_printable(*p))
			utf7_put(&out, (char)*p++);
		else if (utf7_encode_shift(&p, &out) == -1)
			return utf7_out_finish(&out, 1);
	}
	return utf7_out_finish(&out, 0);
}

/*
 * Take one decoded UTF-16 unit; *high holds a pending high surrogate.
 * -1 if the unit should not have been encoded (U+0000, printable ASCII)
 * or breaks a surrogate pair.
 */
static int
utf7_decode_unit(uint32_t unit, uint32_t *high, struct utf7_out *out)
{
	if (*high != 0) {
		if (unit < 0xdc00 || unit > 0xdfff)
			return -1;
		utf8_put(out, 0x10000 + ((*high - 0xd800) << 10) +
		    (unit - 0xdc00));
		*high = 0;
		return 0;
	}
	if (unit >= 0xd800 && unit <= 0xdbff) {
		*high = unit;
		return 0;
	}
	if (unit >= 0xdc00 && unit <= 0xdfff)
		return -1;
	/* U+0000 would cut the name short */
	if (unit == 0 || utf7_printable(unit))
		return -1;
	utf8_put(out, unit);
	return 0;
}

/*
 * Decode the base64 of a shift at *p (past its '&') up to and past its
 * '-'; -1 if malformed or not in canonical form.
 */
static int
utf7_decode_shift(const unsigned char **p, struct utf7_out *out)
{
	const unsigned char	*s = *p;
	uint32_t		 bits = 0, high = 0;
	size_t			 nbits = 0;
	int			 value;

	for (; *s != '-'; s++) {
		/* the terminating NUL is no base64: an unclosed shift stops */
		if ((value = utf7_base64_value(*s)) == -1)
			return -1;
		bits = (bits << 6 | (uint32_t)value) & 0x3fffff;
		nbits += 6;
		if (nbits >= 16) {
			nbits -= 16;
			if (utf7_decode_unit(bits >> nbits & 0xffff, &high,
			    out) == -1)
				return -1;
		}
	}
	/*
	 * A pair cut at the '-', a whole character of padding (which also
	 * refuses a shift with no unit in it) or padding bits that are not
	 * zero: none is what an encoder writes.
	 */
	if (high != 0 || nbits >= 6 || (bits & ((1u << nbits) - 1)) != 0)
		return -1;
	*p = s + 1;
	return 0;
}

char *
imap_utf7_decode(const char *mutf7)
{
	const unsigned char	*p = (const unsigned char *)mutf7;
	struct utf7_out		 out;
	size_t			 len;

	if ((len = strnlen(mutf7, IMAP_UTF7_MAX + 1)) > IMAP_UTF7_MAX)
		return NULL;
	/* worst case: n base64 characters give 9n/8 octets of UTF-8 */
	utf7_out_start(&out, 2 * len + 1);
	while (*p != '\0') {
		if (!utf7_printable(*p))
			return utf7_out_finish(&out, 1);
		if (*p != '&') {
			utf7_put(&out, (char)*p++);
			continue;
		}
		p++;
		if (*p == '-') {
			utf7_put(&out, '&');
			p++;
			continue;
		}
		if (utf7_decode_shift(&p, &out) == -1)
			return utf7_out_finish(&out, 1);
		/* "&...-&...-" is one shift written as two */
		if (p[0] == '&' && p[1] != '-')
			return utf7_out_finish(&out, 1);
	}
	return utf7_out_finish(&out, 0);
}
