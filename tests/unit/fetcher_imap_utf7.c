/*
 * Unit tests for fetcher/imap_utf7.c: RFC 3501 examples and common
 * folder names both ways, then every non-canonical or malformed input
 * that either direction must refuse.
 */
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/imap_utf7.h"
#include "tap.h"

/* Names in both encodings: each one encodes to the other and back. */
static const struct {
	const char	*utf8;
	const char	*mutf7;
} pairs[] = {
	{ "", "" },
	{ "INBOX", "INBOX" },
	{ "Kosz", "Kosz" },
	{ "&", "&-" },
	{ "&&", "&-&-" },
	{ "a&b", "a&-b" },
	{ "~peter/mail/\xe5\x8f\xb0\xe5\x8c\x97/"
	    "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e",
	    "~peter/mail/&U,BTFw-/&ZeVnLIqe-" },		/* RFC 3501 */
	{ "Wys\xc5\x82" "ane", "Wys&AUI-ane" },		/* Wysłane */
	{ "\xc5\x9amieci", "&AVo-mieci" },			/* Śmieci */
	{ "Entw\xc3\xbcrfe", "Entw&APw-rfe" },		/* Entwürfe */
	{ "\xd0\xa7\xd0\xb5\xd1\x80\xd0\xbd\xd0\xbe\xd0\xb2\xd0\xb8\xd0\xba"
	    "\xd0\xb8", "&BCcENQRABD0EPgQyBDgEOgQ4-" },	/* Черновики */
	{ "\xf0\x9f\x98\x80", "&2D3eAA-" },			/* U+1F600 */
	{ "\xf0\x9f\x98\x80\xc3\xa9", "&2D3eAADp-" },	/* pair, then BMP */
	{ "\xf0\x90\x80\x80", "&2ADcAA-" },			/* U+10000 */
	{ "\xf4\x8f\xbf\xbf", "&2,,f,w-" },			/* U+10FFFF */
	{ "\xc2\x80", "&AIA-" },				/* U+0080 */
	{ "\xdf\xbf", "&B,8-" },				/* U+07FF */
	{ "\xe0\xa0\x80", "&CAA-" },				/* U+0800 */
	{ "\xef\xbf\xbd", "&,,0-" },				/* U+FFFD */
	{ "\xc3\xa9&", "&AOk-&-" },			/* shift, then "&-" */
	{ "a\x01" "b", "a&AAE-b" },			/* controls are shifted */
	{ "\x7f", "&AH8-" },
	{ "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9",
	    "&AOkA6QDpAOkA6Q-" },			/* every padding length */
	{ "\xc3\x9cn\xc3\xaf" "c\xc3\xb6" "d\xc3\xa9/\xf0\x9f\x98\x80/&",
	    "&ANw-n&AO8-c&APY-d&AOk-/&2D3eAA-/&-" },
};

/* Not modified UTF-7, or not its canonical form. */
static const struct {
	const char	*mutf7;
	const char	*why;
} bad_mutf7[] = {
	{ "a\tb", "a control octet" },
	{ "a\x7f" "b", "DEL as an octet" },
	{ "caf\xc3\xa9", "raw UTF-8" },
	{ "&", "a lone '&'" },
	{ "a&", "'&' at the end" },
	{ "&U,BTFw", "no '-' terminator" },
	{ "&AUI", "no '-' terminator, padding complete" },
	{ "&U/BTFw-", "'/' of standard base64" },
	{ "&AUI=-", "'=' padding" },
	{ "&AU I-", "a space in base64" },
	{ "&AU.I-", "'.' in base64" },
	{ "&AUJ-", "non-zero padding bits" },
	{ "&AUIA-", "a whole character of padding" },
	{ "&A-", "a shift with no unit" },
	{ "&AB-", "a shift with no unit, 12 bits" },
	{ "&AGE-", "encoded 'a'" },
	{ "&ACY-", "encoded '&'" },
	{ "&ACA-", "encoded space" },
	{ "&AH4-", "encoded '~'" },
	{ "&AOkAYQ-", "'a' encoded after a non-ASCII character" },
	{ "&AAA-", "encoded U+0000" },
	{ "&AOk-&AOk-", "two adjacent shifts" },
	{ "&2D0-", "a lone high surrogate" },
	{ "&3gA-", "a lone low surrogate" },
	{ "&2D0A6Q-", "a high surrogate, then a BMP character" },
	{ "&3gDYPQ-", "a surrogate pair reversed" },
	{ "&2D0-&3gA-", "a surrogate pair split over two shifts" },
	{ "&2D0-x&3gA-", "a surrogate pair split by a character" },
};

/* Not valid UTF-8 (RFC 3629). */
static const struct {
	const char	*utf8;
	const char	*why;
} bad_utf8[] = {
	{ "\xc0\xaf", "overlong '/', 2 octets" },
	{ "\xc1\xbf", "overlong U+007F" },
	{ "\xe0\x80\xaf", "overlong '/', 3 octets" },
	{ "\xe0\x9f\xbf", "overlong U+07FF" },
	{ "\xf0\x80\x80\xaf", "overlong '/', 4 octets" },
	{ "\xf0\x8f\xbf\xbf", "overlong U+FFFF" },
	{ "\xed\xa0\x80", "surrogate U+D800" },
	{ "\xed\xbf\xbf", "surrogate U+DFFF" },
	{ "\xed\xa0\xbd\xed\xb8\x80", "a surrogate pair in CESU-8" },
	{ "\xf4\x90\x80\x80", "U+110000" },
	{ "\xf5\x80\x80\x80", "lead octet 0xf5" },
	{ "\xf8\x88\x80\x80\x80", "a 5-octet form" },
	{ "\xc3", "truncated at the end, 2 octets" },
	{ "a\xe6\x97", "truncated at the end, 3 octets" },
	{ "\xf0\x9f\x98", "truncated at the end, 4 octets" },
	{ "\xe6\x97" "a", "truncated by ASCII" },
	{ "\xc3\xc3\xa9", "truncated by a lead octet" },
	{ "\x80", "a lone continuation octet" },
	{ "a\xbf" "b", "a continuation octet between ASCII" },
	{ "\xfe", "octet 0xfe" },
	{ "\xff", "octet 0xff" },
};

/* Each pair encodes and decodes to the other. */
static void
test_pairs(void)
{
	char	*s;
	size_t	 i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		s = imap_utf7_encode(pairs[i].utf8);
		is_str(s, pairs[i].mutf7, "encode to \"%s\"", pairs[i].mutf7);
		free(s);
		s = imap_utf7_decode(pairs[i].mutf7);
		is_str(s, pairs[i].utf8, "decode \"%s\"", pairs[i].mutf7);
		free(s);
	}
}

/* Each malformed input is refused in its direction. */
static void
test_refused(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(bad_mutf7) / sizeof(bad_mutf7[0]); i++) {
		ok(imap_utf7_decode(bad_mutf7[i].mutf7) == NULL,
		    "decode refuses %s", bad_mutf7[i].why);
	}
	for (i = 0; i < sizeof(bad_utf8) / sizeof(bad_utf8[0]); i++) {
		ok(imap_utf7_encode(bad_utf8[i].utf8) == NULL,
		    "encode refuses %s", bad_utf8[i].why);
	}
}

/* IMAP_UTF7_MAX octets pass either way; one more does not. */
static void
test_bounds(void)
{
	char	 name[IMAP_UTF7_MAX + 2], *s;

	memset(name, 'a', IMAP_UTF7_MAX);
	name[IMAP_UTF7_MAX] = '\0';
	s = imap_utf7_encode(name);
	ok(s != NULL && strcmp(s, name) == 0, "encode: %d octets pass",
	    IMAP_UTF7_MAX);
	free(s);
	s = imap_utf7_decode(name);
	ok(s != NULL && strcmp(s, name) == 0, "decode: %d octets pass",
	    IMAP_UTF7_MAX);
	free(s);
	name[IMAP_UTF7_MAX] = 'a';
	name[IMAP_UTF7_MAX + 1] = '\0';
	ok(imap_utf7_encode(name) == NULL, "encode: %d octets refused",
	    IMAP_UTF7_MAX + 1);
	ok(imap_utf7_decode(name) == NULL, "decode: %d octets refused",
	    IMAP_UTF7_MAX + 1);
}

/* One shift of groups times U+65E5 U+65E5 U+65E5 into name. */
static void
shift_of_groups(char *name, size_t groups)
{
	size_t	 i;

	name[0] = '&';
	for (i = 0; i < groups; i++)
		memcpy(name + 1 + 8 * i, "ZeVl5WXl", 8);
	name[1 + 8 * groups] = '-';
	name[2 + 8 * groups] = '\0';
}

/*
 * The output is bounded too, or what one direction accepts the other
 * would refuse: "&" doubles, and 8 base64 characters are 9 octets of
 * UTF-8 (three of U+65E5).
 */
static void
test_output_bounds(void)
{
	char	 name[IMAP_UTF7_MAX + 2], *s, *back;

	memset(name, '&', IMAP_UTF7_MAX / 2);
	name[IMAP_UTF7_MAX / 2] = '\0';
	s = imap_utf7_encode(name);
	ok(s != NULL && strlen(s) == IMAP_UTF7_MAX,
	    "encode: output of %d octets passes", IMAP_UTF7_MAX);
	free(s);
	name[IMAP_UTF7_MAX / 2] = '&';
	name[IMAP_UTF7_MAX / 2 + 1] = '\0';
	ok(imap_utf7_encode(name) == NULL,
	    "encode: output of %d octets refused", IMAP_UTF7_MAX + 2);

	/* 455 groups: 3,642 octets in, 4,095 out */
	shift_of_groups(name, 455);
	s = imap_utf7_decode(name);
	ok(s != NULL && strlen(s) == 9 * 455, "decode: output of %d octets "
	    "passes", 9 * 455);
	back = s == NULL ? NULL : imap_utf7_encode(s);
	is_str(back, name, "encode: it comes back");
	free(back);
	free(s);
	/* 511 groups: 4,090 octets in, 4,599 out */
	shift_of_groups(name, 511);
	ok(imap_utf7_decode(name) == NULL, "decode: output of %d octets "
	    "refused", 9 * 511);
}

/* Every BMP character alone and between ASCII survives both ways. */
static void
test_round_trip(void)
{
	char		 utf8[8], *mutf7, *back;
	unsigned long	 c, failed = 0;

	for (c = 1; c < 0x10000; c++) {
		if (c >= 0xd800 && c <= 0xdfff)
			continue;
		if (c < 0x80) {
			utf8[0] = 'x';
			utf8[1] = (char)c;
			utf8[2] = 'y';
			utf8[3] = '\0';
		} else if (c < 0x800) {
			utf8[0] = 'x';
			utf8[1] = (char)(0xc0 | c >> 6);
			utf8[2] = (char)(0x80 | (c & 0x3f));
			utf8[3] = 'y';
			utf8[4] = '\0';
		} else {
			utf8[0] = 'x';
			utf8[1] = (char)(0xe0 | c >> 12);
			utf8[2] = (char)(0x80 | (c >> 6 & 0x3f));
			utf8[3] = (char)(0x80 | (c & 0x3f));
			utf8[4] = 'y';
			utf8[5] = '\0';
		}
		mutf7 = imap_utf7_encode(utf8);
		back = mutf7 == NULL ? NULL : imap_utf7_decode(mutf7);
		if (back == NULL || strcmp(back, utf8) != 0) {
			if (failed++ == 0)
				diag("U+%04lX: \"%s\"", c, mutf7 ? mutf7 : "");
		}
		free(mutf7);
		free(back);
	}
	ok(failed == 0, "every BMP character round-trips (%lu failed)",
	    failed);
}

int
main(void)
{
	test_pairs();
	test_refused();
	test_bounds();
	test_output_bounds();
	test_round_trip();
	return done_testing();
}
