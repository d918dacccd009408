/*
 * Unit tests for common/tag.c: HMAC test vectors computed independently
 * with `printf %s 'NAME;t=TIME' | openssl dgst -sha256 -mac HMAC -macopt
 * hexkey:KEY`, strict parsing, freshness, and the key file checks.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tag.h"
#include "tap.h"
#include "xmalloc.h"

#define KEY1 "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY2 "ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
#define T1 1700000000LL

static const struct {
	const char	*key;
	const char	*name;
	long long	 when;
	const char	*mac;
} vectors[] = {
	{ KEY1, "home", T1,
	  "fe5796f04aa1773a76be6aa8075c164ec504b9b4661afbc610715b8f49c00b4b" },
	{ KEY1, "p.maly@provider.example", 1785000000,
	  "02f9f1a979267ad3a039b3a45ed12b71133f245f77533f56a9a812f54c5610f3" },
	{ KEY1, "a", 0,
	  "28d1550f47c93e52c83cdbc53d115c16d7c6fd3913dc2ac3a9a322df5e0d627c" },
	{ KEY1, "A-Z_0+9.x", 1234567890,
	  "279953a63085805e855de9ceff7e482da059b315814d6a9fbf54aef386a9c250" },
	{ KEY2, "home", T1,
	  "bb23565f8596b6b75392564074491623824ae7225eda73159305dfa3b12a2f15" },
	{ KEY2, "p.maly@provider.example", 1785000000,
	  "c9922baf5ef25ce75f8687a3d5c19393840bcc635d74085b7396a814988fafb3" },
	{ KEY2, "a", 0,
	  "b8223c9ed58aa8a877ebb1deeebfe88d6ceff6560942999e8eea60fbcc01d7a4" },
	{ KEY2, "A-Z_0+9.x", 1234567890,
	  "41b4cdb3975d976a93876196e2011d4f8758e1ab76977e7a7f6285f7c17da83a" },
};

#define MAC1 "fe5796f04aa1773a76be6aa8075c164ec504b9b4661afbc610715b8f49c00b4b"

/* Header values checked with KEY1 at time T1 (unless now is set). */
static const struct {
	const char	*name;
	const char	*value;
	long long	 now;		/* 0 = T1 */
	const char	*cause;		/* NULL = accepted as "home" */
} checks[] = {
	{ "the signed value", "home; t=1700000000; mac=" MAC1, 0, NULL },
	{ "no spaces", "home;t=1700000000;mac=" MAC1, 0, NULL },
	{ "surrounding and folded white space",
	  " \thome ;\r\n\tt=1700000000\r\n ;  mac=" MAC1 " \r\n", 0, NULL },
	{ "oldest still valid", "home; t=1700000000; mac=" MAC1,
	  T1 + TAG_MAX_AGE, NULL },
	{ "5 minutes ahead still valid", "home; t=1700000000; mac=" MAC1,
	  T1 - 300, NULL },
	{ "one bit of the mac changed",
	  "home; t=1700000000; mac="
	  "fe5796f04aa1773a76be6aa8075c164ec504b9b4661afbc610715b8f49c00b4a",
	  0, "bad mac" },
	{ "first byte of the mac changed",
	  "home; t=1700000000; mac="
	  "0e5796f04aa1773a76be6aa8075c164ec504b9b4661afbc610715b8f49c00b4b",
	  0, "bad mac" },
	{ "name changed", "homf; t=1700000000; mac=" MAC1, 0, "bad mac" },
	{ "name case changed", "Home; t=1700000000; mac=" MAC1, 0, "bad mac" },
	{ "time changed", "home; t=1700000001; mac=" MAC1, T1 + 1,
	  "bad mac" },
	{ "stale", "home; t=1700000000; mac=" MAC1, T1 + TAG_MAX_AGE + 1,
	  "stale (signed 604801s ago)" },
	{ "from the future", "home; t=1700000000; mac=" MAC1, T1 - 301,
	  "from the future (signed 301s ahead)" },
	{ "empty", "", 0, "bad account name" },
	{ "white space only", " \r\n\t", 0, "bad account name" },
	{ "garbage", "\x01\xff garbage", 0, "bad account name" },
	{ "name only", "home", 0,
	  "malformed: no \"; t=\" after the account name" },
	{ "no time", "home; mac=" MAC1, 0,
	  "malformed: no \"; t=\" after the account name" },
	{ "empty time", "home; t=; mac=" MAC1, 0, "malformed: bad time" },
	{ "negative time", "home; t=-1; mac=" MAC1, 0, "malformed: bad time" },
	{ "leading zero time", "home; t=01700000000; mac=" MAC1, 0,
	  "malformed: bad time" },
	{ "huge time", "home; t=99999999999999999999; mac=" MAC1, 0,
	  "malformed: bad time" },
	{ "no mac", "home; t=1700000000", 0,
	  "malformed: no \"; mac=\" after the time" },
	{ "empty mac", "home; t=1700000000; mac=", 0,
	  "malformed: the mac is not 64 lower-case hex digits" },
	{ "truncated mac",
	  "home; t=1700000000; mac="
	  "fe5796f04aa1773a76be6aa8075c164ec504b9b4661afbc610715b8f49c00b4",
	  0, "malformed: the mac is not 64 lower-case hex digits" },
	{ "mac too long", "home; t=1700000000; mac=" MAC1 "0", 0,
	  "malformed: the mac is not 64 lower-case hex digits" },
	{ "upper-case mac",
	  "home; t=1700000000; mac="
	  "FE5796F04AA1773A76BE6AA8075C164EC504B9B4661AFBC610715B8F49C00B4B",
	  0, "malformed: the mac is not 64 lower-case hex digits" },
	{ "text after the mac", "home; t=1700000000; mac=" MAC1 "; x=1", 0,
	  "malformed: text after the mac" },
	{ "parts swapped", "home; mac=" MAC1 "; t=1700000000", 0,
	  "malformed: no \"; t=\" after the account name" },
	{ "bad name character", "ho me; t=1700000000; mac=" MAC1, 0,
	  "malformed: no \"; t=\" after the account name" },
	{ "name too long",
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	  "; t=1700000000; mac=" MAC1, 0, "bad account name" },
};

/* Decode a 64-character hex key (test data, always valid). */
static void
key_from_hex(const char *hex, unsigned char key[TAG_KEY_LEN])
{
	unsigned int	 byte;
	size_t		 i;

	for (i = 0; i < TAG_KEY_LEN; i++) {
		sscanf(hex + 2 * i, "%2x", &byte);
		key[i] = (unsigned char)byte;
	}
}

static void
test_vectors(void)
{
	unsigned char	 key[TAG_KEY_LEN];
	char		 value[TAG_VALUE_MAX], want[TAG_VALUE_MAX];
	char		 account[65], *cause;
	size_t		 i;
	int		 rc;

	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		key_from_hex(vectors[i].key, key);
		snprintf(want, sizeof(want), "%s; t=%lld; mac=%s",
		    vectors[i].name, vectors[i].when, vectors[i].mac);
		rc = tag_sign(key, vectors[i].name, NULL, NULL, vectors[i].when, value,
		    sizeof(value));
		is_int(rc, 0, "vector %zu: signed", i);
		is_str(value, want, "vector %zu: value", i);
		cause = NULL;
		rc = tag_verify(key, want, vectors[i].when, TAG_MAX_AGE,
		    account, sizeof(account), NULL, 0, NULL, &cause);
		if (!is_int(rc, 0, "vector %zu: verifies", i))
			diag("cause: %s", cause);
		else
			is_str(account, vectors[i].name, "vector %zu: name", i);
		free(cause);
	}
}

static void
test_checks(void)
{
	unsigned char	 key[TAG_KEY_LEN];
	char		 account[65], *cause;
	size_t		 i;
	int		 rc;

	key_from_hex(KEY1, key);
	for (i = 0; i < sizeof(checks) / sizeof(checks[0]); i++) {
		cause = NULL;
		account[0] = '\0';
		rc = tag_verify(key, checks[i].value,
		    checks[i].now != 0 ? checks[i].now : T1, TAG_MAX_AGE,
		    account, sizeof(account), NULL, 0, NULL, &cause);
		if (checks[i].cause == NULL) {
			if (!is_int(rc, 0, "%s: accepted", checks[i].name))
				diag("cause: %s", cause);
			is_str(account, "home", "%s: name", checks[i].name);
		} else {
			is_int(rc, -1, "%s: refused", checks[i].name);
			is_str(cause, checks[i].cause, "%s: cause",
			    checks[i].name);
		}
		free(cause);
	}

	/* Another key refuses the tag. */
	key_from_hex(KEY2, key);
	cause = NULL;
	rc = tag_verify(key, "home; t=1700000000; mac=" MAC1, T1, TAG_MAX_AGE,
	    account, sizeof(account), NULL, 0, NULL, &cause);
	is_int(rc, -1, "another key: refused");
	is_str(cause, "bad mac", "another key: bad mac");
	free(cause);
}

/* Names at the limits, and buffers too small. */
static void
test_limits(void)
{
	unsigned char	 key[TAG_KEY_LEN];
	char		 name[66], value[TAG_VALUE_MAX], account[65], *cause;
	int		 rc;

	key_from_hex(KEY1, key);
	memset(name, 'n', 64);
	name[64] = '\0';
	rc = tag_sign(key, name, NULL, NULL, T1, value, sizeof(value));
	is_int(rc, 0, "64-character name signed");
	cause = NULL;
	rc = tag_verify(key, value, T1, TAG_MAX_AGE, account, sizeof(account),
	    NULL, 0, NULL, &cause);
	is_int(rc, 0, "64-character name verified");
	is_str(account, name, "64-character name copied whole");
	free(cause);
	cause = NULL;
	rc = tag_verify(key, value, T1, TAG_MAX_AGE, account, 64, NULL, 0,
	    NULL, &cause);
	is_int(rc, -1, "account buffer one byte short: refused");
	is_str(cause, "account name too long for the buffer",
	    "account buffer one byte short: cause");
	free(cause);

	name[64] = 'n';
	name[65] = '\0';
	is_int(tag_sign(key, name, NULL, NULL, T1, value, sizeof(value)), -1,
	    "65-character name not signed");
	is_int(tag_sign(key, "", NULL, NULL, T1, value, sizeof(value)), -1,
	    "empty name not signed");
	is_int(tag_sign(key, "a b", NULL, NULL, T1, value, sizeof(value)), -1,
	    "name with a space not signed");
	is_int(tag_sign(key, "a;t=1", NULL, NULL, T1, value, sizeof(value)), -1,
	    "name with ';' not signed");
	is_int(tag_sign(key, "-x", NULL, NULL, T1, value, sizeof(value)), -1,
	    "name starting with '-' not signed");
	is_int(tag_sign(key, "x-", NULL, NULL, T1, value, sizeof(value)), 0,
	    "name with a '-' inside signed");
	is_int(tag_sign(key, "home", NULL, NULL, T1, value, 88), -1,
	    "buffer one byte short: not signed");
	is_int(tag_sign(key, "home", NULL, NULL, T1, value, 89), 0,
	    "buffer exactly long enough: signed");
	is_int(tag_sign(key, "home", NULL, NULL, -1, value, sizeof(value)), -1,
	    "negative time not signed");
}

/* Write text to dir/name with mode; returns the path (to free). */
static char *
key_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	char	*path;
	FILE	*fp;

	xasprintf(&path, "%s/%s", dir, name);
	if ((fp = fopen(path, "w")) == NULL || fputs(text, fp) == EOF ||
	    fclose(fp) == EOF || chmod(path, mode) == -1) {
		perror(path);
		exit(1);
	}
	return path;
}

static void
test_key_file(void)
{
	static const struct {
		const char	*name;
		const char	*text;
		mode_t		 mode;
		const char	*cause;	/* after "PATH: "; NULL = loads,
					   "" = malformed */
	} files[] = {
		{ "mode 0600", KEY1 "\n", 0600, NULL },
		{ "mode 0400", KEY1 "\n", 0400, NULL },
		{ "no newline", KEY1, 0600, NULL },
		{ "upper-case hex",
		  "000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F"
		  "\n", 0600, NULL },
		{ "mode 0644", KEY1 "\n", 0644, "group or others may access it "
		  "(mode 0644); it must be mode 0600 or 0400" },
		{ "mode 0640", KEY1 "\n", 0640, "group or others may access it "
		  "(mode 0640); it must be mode 0600 or 0400" },
		{ "mode 0620", KEY1 "\n", 0620, "group or others may access it "
		  "(mode 0620); it must be mode 0600 or 0400" },
		{ "mode 0602", KEY1 "\n", 0602, "group or others may access it "
		  "(mode 0602); it must be mode 0600 or 0400" },
		{ "mode 0700", KEY1 "\n", 0700, "mode 0700; it must be mode "
		  "0600 or 0400" },
		{ "mode 4600", KEY1 "\n", 04600, "mode 4600; it must be mode "
		  "0600 or 0400" },
		{ "bad hex", "g00102030405060708090a0b0c0d0e0f101112131415161718"
		  "191a1b1c1d1e1f\n", 0600, "" },
		{ "63 characters", "00102030405060708090a0b0c0d0e0f10111213141516"
		  "1718191a1b1c1d1e1f\n", 0600, "" },
		{ "65 characters", KEY1 "0\n", 0600, "" },
		{ "CRLF", KEY1 "\r\n", 0600, "" },
		{ "two newlines", KEY1 "\n\n", 0600, "" },
		{ "leading space", " " KEY1 "\n", 0600, "" },
		{ "empty", "", 0600, "" },
	};
	static const char malformed[] = "not a key (want 64 hex characters "
	    "and a newline, as \"openssl rand -hex 32\" prints)";
	unsigned char	 key[TAG_KEY_LEN], want[TAG_KEY_LEN];
	char		 dir[] = "/tmp/common_tag.XXXXXX", *path, *link, *cause;
	char		*expected;
	const char	*why;
	size_t		 i;
	uid_t		 owner;
	int		 rc;

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		exit(1);
	}
	key_from_hex(KEY1, want);
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		path = key_file(dir, "key", files[i].text, files[i].mode);
		why = files[i].cause;
		if (why != NULL && why[0] == '\0')
			why = malformed;
		cause = NULL;
		memset(key, 0xaa, sizeof(key));
		rc = tag_load_key(path, geteuid(), key, &cause);
		if (why == NULL) {
			if (!is_int(rc, 0, "key file %s: loaded",
			    files[i].name))
				diag("cause: %s", cause);
			ok(memcmp(key, want, sizeof(key)) == 0,
			    "key file %s: right key", files[i].name);
		} else {
			is_int(rc, -1, "key file %s: refused", files[i].name);
			xasprintf(&expected, "%s: %s", path, why);
			is_str(cause, expected, "key file %s: cause",
			    files[i].name);
			free(expected);
		}
		free(cause);
		unlink(path);
		free(path);
	}

	/*
	 * Owned by neither root nor the postfetch user: refused (its owner
	 * may know the key). As root the file is given to another uid; else
	 * the postfetch user is said to be another than the file's owner.
	 */
	path = key_file(dir, "key", KEY1 "\n", 0600);
	owner = geteuid();
	if (owner == 0) {
		owner = 65534;
		if (chown(path, owner, (gid_t)-1) == -1) {
			perror("chown");
			exit(1);
		}
	}
	cause = NULL;
	is_int(tag_load_key(path, owner + 1, key, &cause), -1,
	    "key file of another user refused");
	xasprintf(&expected, "%s: owned by uid %u; it must belong to root or "
	    "to the postfetch user (uid %u)", path, (unsigned int)owner,
	    (unsigned int)owner + 1);
	is_str(cause, expected, "key file of another user: cause");
	free(expected);
	free(cause);
	cause = NULL;
	if (!is_int(tag_load_key(path, owner, key, &cause), 0,
	    "key file of the postfetch user loaded"))
		diag("cause: %s", cause);
	free(cause);
	unlink(path);
	free(path);

	path = key_file(dir, "key", KEY1 "\n", 0600);
	xasprintf(&link, "%s/link", dir);
	if (symlink(path, link) == -1) {
		perror("symlink");
		exit(1);
	}
	cause = NULL;
	is_int(tag_load_key(link, geteuid(), key, &cause), -1,
	    "symbolic link refused");
	free(cause);
	unlink(link);
	unlink(path);
	cause = NULL;
	is_int(tag_load_key(path, geteuid(), key, &cause), -1,
	    "missing file refused");
	xasprintf(&expected, "%s: No such file or directory", path);
	is_str(cause, expected, "missing file: cause");
	free(expected);
	free(cause);
	cause = NULL;
	is_int(tag_load_key(dir, geteuid(), key, &cause), -1,
	    "directory refused");
	free(cause);
	free(link);
	free(path);
	rmdir(dir);
}

/* A folder signed into the tag comes back, escapes undone; changing
 * it breaks the MAC. */
static void
test_folder(void)
{
	unsigned char	 key[TAG_KEY_LEN];
	char		 value[TAG_VALUE_MAX], account[65], folder[64];
	char		 forged[TAG_VALUE_MAX], *cause = NULL, *f, *long_name;

	key_from_hex(KEY1, key);
	is_int(tag_sign(key, "home", "Wys&AUI-ane", NULL, T1, value, sizeof(value)),
	    0, "folder: signed");
	ok(strncmp(value, "home; t=1700000000; f=Wys&AUI-ane; mac=", 39) == 0 &&
	    strlen(value) == 39 + 64, "folder: in the value (%s)", value);
	is_int(tag_verify(key, value, T1, TAG_MAX_AGE, account,
	    sizeof(account), folder, sizeof(folder), NULL, &cause), 0,
	    "folder: verifies");
	is_str(folder, "Wys&AUI-ane", "folder: comes back");
	is_int(tag_sign(key, "home", "a b;c%d\"e\\", NULL, T1, value,
	    sizeof(value)), 0, "folder with blanks and ';': signed");
	ok(strstr(value, " f=a%20b%3Bc%25d%22e%5C; ") != NULL,
	    "folder: escaped (%s)", value);
	is_int(tag_verify(key, value, T1, TAG_MAX_AGE, account,
	    sizeof(account), folder, sizeof(folder), NULL, &cause), 0,
	    "escaped folder: verifies");
	is_str(folder, "a b;c%d\"e\\", "escaped folder: unescaped");
	strlcpy(forged, value, sizeof(forged));
	f = strstr(forged, "f=a") + 2;
	*f = 'x';
	is_int(tag_verify(key, forged, T1, TAG_MAX_AGE, account,
	    sizeof(account), folder, sizeof(folder), NULL, &cause), -1,
	    "another folder under the same mac: refused");
	is_str(cause, "bad mac", "... bad mac");
	free(cause);
	cause = NULL;
	is_int(tag_verify(key, value, T1, TAG_MAX_AGE, account,
	    sizeof(account), folder, 4, NULL, &cause), -1,
	    "folder buffer too small: refused");
	free(cause);
	cause = NULL;
	is_int(tag_verify(key, "home; t=1700000000; f=; mac=" MAC1, T1,
	    TAG_MAX_AGE, account, sizeof(account), folder, sizeof(folder),
	    NULL, &cause), -1, "empty folder: refused");
	is_str(cause, "malformed: bad folder", "... as malformed");
	free(cause);
	cause = NULL;
	is_int(tag_verify(key, "home; t=1700000000; mac=" MAC1, T1,
	    TAG_MAX_AGE, account, sizeof(account), folder, sizeof(folder),
	    NULL, &cause), 0, "no folder: verifies");
	is_str(folder, "", "no folder: empty");
	long_name = xmalloc(TAG_FOLDER_MAX + 2);
	memset(long_name, 'x', TAG_FOLDER_MAX + 1);
	long_name[TAG_FOLDER_MAX + 1] = '\0';
	is_int(tag_sign(key, "home", long_name, NULL, T1, value, sizeof(value)), -1,
	    "folder over TAG_FOLDER_MAX: not signed");
	free(long_name);
	free(cause);
}

int
main(void)
{
	test_vectors();
	test_folder();
	test_checks();
	test_limits();
	test_key_file();
	return done_testing();
}
