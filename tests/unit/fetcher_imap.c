/*
 * Unit tests for the IMAP client (fetcher/imap.c, imap_auth.c,
 * imap_mail.c): scripted server transcripts over a socketpair
 * (tests/unit/peer.c). The child plays the whole script at once; the
 * client reads it response by response, so a "+" or a tagged reply may
 * stand in the script before the client has asked. What the client sent
 * is compared with the exact bytes expected, and each failure with its
 * exact cause.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/account.h"
#include "../../fetcher/driver.h"
#include "../../fetcher/imap_session.h"
#include "../../fetcher/transport.h"
#include "peer.h"
#include "tap.h"
#include "xmalloc.h"

#define BYTES(s)	s, sizeof(s) - 1
#define NCASES(t)	(sizeof(t) / sizeof((t)[0]))

/* Open a session over the peer's end; NULL with *cause. */
static struct imap *
open_peer(struct peer *peer, const struct account *account,
    const char **token_argv, struct driver_info *info, char **cause)
{
	struct driver_options	 options;

	options.timeout = 5;
	options.token_argv = token_argv;
	memset(info, 0, sizeof(*info));
	return imap_open_transport(transport_fds(peer->fd, peer->fd, 5),
	    account, &options, info, cause);
}

/* Close the session and compare what the client sent. */
static void
finish(struct peer *peer, struct imap *i, const char *want,
    const char *name)
{
	char	*sent;

	imap_close(i);
	sent = peer_finish(peer);
	is_str(sent, want, "%s: client lines", name);
	free(sent);
}

/* The base64 of RFC 2195's CRAM-MD5 example, challenge and answer. */
#define CRAM_CHALLENGE	\
	"PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+"
#define CRAM_ANSWER	"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw"
/* The end of the cause of a session refused before it went plain. */
#define REFUSED(tls)	": plain text refused (tls = " tls "); set tls = " \
			"'disable' to allow it"
#define PREAUTH_REFUSED	"server greeted PREAUTH on an unencrypted " \
	"connection, so TLS cannot be started"

/* Opening transcripts: what the server says, what the client must say. */
static const struct {
	const char	*name;
	const char	*tls;
	const char	*auth;
	int		 tls_seen;
	const char	*user;
	const char	*password;
	const char	*server;
	const char	*client;
	const char	*cause;		/* NULL: success */
	const char	*method;	/* info.auth_method on success */
	const char	*capabilities;	/* info.capabilities on success */
} open_cases[] = {
	{ "greeting with CAPABILITY, LOGIN", "disable", "password", 0,
	  NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS] in\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\n", NULL, "LOGIN",
	  "IMAP4rev1 IDLE UIDPLUS" },
	{ "greeting without CAPABILITY: asked", "disable", "password", 0,
	  NULL, NULL,
	  "* OK hi\r\n* CAPABILITY IMAP4rev1 AUTH=PLAIN\r\na1 OK done\r\n"
	  "a2 OK [CAPABILITY IMAP4rev1 X-AFTER] in\r\n",
	  "a1 CAPABILITY\r\na2 LOGIN \"u\" \"p\"\r\n", NULL, "LOGIN",
	  "IMAP4rev1 X-AFTER" },
	{ "capabilities after login by CAPABILITY", "disable", "password",
	  0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\na1 OK in\r\n"
	  "* CAPABILITY IMAP4rev1 UIDPLUS MOVE\r\na2 OK\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\na2 CAPABILITY\r\n", NULL, "LOGIN",
	  "IMAP4rev1 UIDPLUS MOVE" },
	{ "capabilities untagged during login", "disable", "password", 0,
	  NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n* CAPABILITY IMAP4rev1 ID\r\n"
	  "a1 OK in\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\n", NULL, "LOGIN", "IMAP4rev1 ID" },
	{ "CAPABILITY refused", "disable", "password", 0, NULL, NULL,
	  "* OK hi\r\na1 BAD what\r\n", "a1 CAPABILITY\r\n",
	  "CAPABILITY: BAD what", NULL, NULL },
	{ "CAPABILITY lists nothing", "disable", "password", 0, NULL, NULL,
	  "* OK hi\r\na1 OK\r\n", "a1 CAPABILITY\r\n",
	  "CAPABILITY: no capabilities listed", NULL, NULL },
	{ "not IMAP4rev1", "disable", "password", 0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4 AUTH=PLAIN] hi\r\n", "",
	  "server is not IMAP4rev1 (capabilities: IMAP4 AUTH=PLAIN)", NULL,
	  NULL },
	{ "IMAP4rev2, lowercase", "disable", "password", 0, NULL, NULL,
	  "* ok [capability imap4rev2] hi\r\na1 ok in\r\n"
	  "* capability imap4rev2\r\na2 ok\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\na2 CAPABILITY\r\n", NULL, "LOGIN",
	  "imap4rev2" },
	{ "greeting BYE", "disable", "password", 0, NULL, NULL,
	  "* BYE too busy\r\n", "", "server greeting: * BYE too busy", NULL,
	  NULL },
	{ "greeting tagged", "disable", "password", 0, NULL, NULL,
	  "a1 OK hi\r\n", "", "server greeting: a1 OK hi", NULL, NULL },
	{ "no greeting", "disable", "password", 0, NULL, NULL, "", "",
	  "connection closed by server", NULL, NULL },
	{ "tls = starttls without STARTTLS offered", "starttls", "any", 0,
	  NULL, NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n", "",
	  "server does not offer STARTTLS" REFUSED("starttls"), NULL, NULL },
	{ "tls = starttls, STARTTLS refused", "starttls", "any", 0, NULL,
	  NULL, "* OK [CAPABILITY IMAP4rev1 STARTTLS] hi\r\na1 NO not now\r\n",
	  "a1 STARTTLS\r\n", "STARTTLS refused: NO not now"
	  REFUSED("starttls"), NULL, NULL },
	/* detect never falls back: no CRAM-MD5 hash in the clear */
	{ "detect, STARTTLS refused, CRAM-MD5 offered: nothing sent",
	  "detect", "any", 0, "tim", "tanstaaftanstaaf",
	  "* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=CRAM-MD5] hi\r\n"
	  "a1 NO not now\r\n", "a1 STARTTLS\r\n",
	  "STARTTLS refused: NO not now" REFUSED("detect"), NULL, NULL },
	{ "detect without STARTTLS, CRAM-MD5 offered: nothing sent",
	  "detect", "any", 0, "tim", "tanstaaftanstaaf",
	  "* OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] hi\r\n", "",
	  "server does not offer STARTTLS" REFUSED("detect"), NULL, NULL },
	{ "detect, tls_seen false or true: the same", "detect", "any", 1,
	  NULL, NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] hi\r\n", "",
	  "server does not offer STARTTLS" REFUSED("detect"), NULL, NULL },
	{ "PREAUTH with tls = starttls refused", "starttls", "any", 0, NULL,
	  NULL, "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n", "",
	  PREAUTH_REFUSED REFUSED("starttls"), NULL, NULL },
	{ "PREAUTH with tls = detect refused", "detect", "any", 0, NULL,
	  NULL, "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n", "",
	  PREAUTH_REFUSED REFUSED("detect"), NULL, NULL },
	{ "PREAUTH with tls = disable accepted", "disable", "any", 0, NULL,
	  NULL, "* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] hi\r\n", "", NULL,
	  "PREAUTH", "IMAP4rev1 STARTTLS" },
	{ "PREAUTH without capabilities: asked", "disable", "password", 0,
	  NULL, NULL, "* PREAUTH hi\r\n* CAPABILITY IMAP4rev1\r\na1 OK\r\n",
	  "a1 CAPABILITY\r\n", NULL, "PREAUTH", "IMAP4rev1" },
	{ "LOGINDISABLED with auth = password", "disable", "password", 0,
	  NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1 LOGINDISABLED AUTH=PLAIN] hi\r\n", "",
	  "auth = password: the server disables LOGIN (LOGINDISABLED)", NULL,
	  NULL },
	{ "LOGINDISABLED with auth = any on a plain link", "disable", "any",
	  0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1 STARTTLS LOGINDISABLED] hi\r\n", "",
	  "refusing to send a clear-text password over an unencrypted "
	  "connection; the server offers STARTTLS: set tls = detect or "
	  "starttls", NULL, NULL },
	{ "auth = any on a plain link, no STARTTLS", "disable", "any", 0,
	  NULL, NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n", "",
	  "refusing to send a clear-text password over an unencrypted "
	  "connection; set tls or auth", NULL, NULL },
	{ "auth = password on detect, plain link: nothing sent", "detect",
	  "password", 0, NULL, NULL, "* OK [CAPABILITY IMAP4rev1] hi\r\n",
	  "", "server does not offer STARTTLS" REFUSED("detect"), NULL,
	  NULL },
	{ "auth = any picks CRAM-MD5, RFC 2195 example", "disable", "any", 0,
	  "tim", "tanstaaftanstaaf",
	  "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN AUTH=CRAM-MD5 SASL-IR] hi\r\n"
	  "+ " CRAM_CHALLENGE "\r\na1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 AUTHENTICATE CRAM-MD5\r\n" CRAM_ANSWER "\r\n", NULL,
	  "CRAM-MD5", "IMAP4rev1" },
	{ "CRAM-MD5 with a bad challenge", "disable", "cram-md5", 0, NULL,
	  NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=CRAM-MD5] hi\r\n+ !!!\r\n",
	  "a1 AUTHENTICATE CRAM-MD5\r\n", "CRAM-MD5: bad challenge: !!!",
	  NULL, NULL },
	{ "LOGIN with quoted escapes", "disable", "password", 0, "a\"b",
	  "c\\d\"", "* OK [CAPABILITY IMAP4rev1] hi\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 LOGIN \"a\\\"b\" \"c\\\\d\\\"\"\r\n", NULL, "LOGIN",
	  "IMAP4rev1" },
	{ "LOGIN, 8-bit password as a literal, waits for +", "disable",
	  "password", 0, NULL, "p\303\244ss",
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n+ go ahead\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 LOGIN \"u\" {5}\r\np\303\244ss\r\n", NULL, "LOGIN",
	  "IMAP4rev1" },
	{ "LOGIN, 8-bit password as a LITERAL+ literal", "disable",
	  "password", 0, NULL, "p\303\244ss",
	  "* OK [CAPABILITY IMAP4rev1 LITERAL+] hi\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 LOGIN \"u\" {5+}\r\np\303\244ss\r\n", NULL, "LOGIN",
	  "IMAP4rev1" },
	{ "LOGIN, 8-bit user and password, two literals", "disable",
	  "password", 0, "\303\274", "p\303\244ss",
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n+ one\r\n+ two\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 LOGIN {2}\r\n\303\274 {5}\r\np\303\244ss\r\n", NULL, "LOGIN",
	  "IMAP4rev1" },
	{ "LOGIN literal refused", "disable", "password", 0, NULL,
	  "p\303\244ss", "* OK [CAPABILITY IMAP4rev1] hi\r\n"
	  "a1 NO [CANNOT] no 8-bit here\r\n",
	  "a1 LOGIN \"u\" {5}\r\n", "LOGIN: NO [CANNOT] no 8-bit here",
	  NULL, NULL },
	{ "LOGIN refused", "disable", "password", 0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n"
	  "a1 NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\n", "login failed: NO "
	  "[AUTHENTICATIONFAILED] Authentication failed.", NULL, NULL },
	{ "user name with CRLF cannot inject commands", "disable",
	  "password", 0, "u\r\na2 DELETE INBOX", NULL,
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n", "",
	  "LOGIN command too long or malformed", NULL, NULL },
	{ "AUTHENTICATE PLAIN with SASL-IR", "disable", "plain", 0, NULL,
	  NULL, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=PLAIN] hi\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 AUTHENTICATE PLAIN AHUAcA==\r\n", NULL, "PLAIN", "IMAP4rev1" },
	{ "AUTHENTICATE PLAIN without SASL-IR waits for +", "disable",
	  "plain", 0, NULL, NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] "
	  "hi\r\n+ \r\na1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 AUTHENTICATE PLAIN\r\nAHUAcA==\r\n", NULL, "PLAIN",
	  "IMAP4rev1" },
	{ "AUTHENTICATE PLAIN refused at once", "disable", "plain", 0, NULL,
	  NULL, "* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n"
	  "a1 NO not this way\r\n", "a1 AUTHENTICATE PLAIN\r\n",
	  "login failed: NO not this way", NULL, NULL },
	{ "AUTHENTICATE LOGIN", "disable", "login", 0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1 AUTH=LOGIN] hi\r\n+ VXNlcm5hbWU6\r\n"
	  "+ UGFzc3dvcmQ6\r\na1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 AUTHENTICATE LOGIN\r\ndQ==\r\ncA==\r\n", NULL, "LOGIN",
	  "IMAP4rev1" },
	{ "XOAUTH2 refused: error JSON, empty answer, NO", "disable",
	  "xoauth2", 0, NULL, "tok",
	  "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] hi\r\n"
	  "+ eyJzdGF0dXMiOiI0MDEifQ==\r\n"
	  "a1 NO [AUTHENTICATIONFAILED] invalid credentials\r\n",
	  "a1 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvawEB\r\n\r\n",
	  "login failed: NO [AUTHENTICATIONFAILED] invalid credentials", NULL,
	  NULL },
	{ "XOAUTH2 without SASL-IR", "disable", "xoauth2", 0, NULL, "tok",
	  "* OK [CAPABILITY IMAP4rev1 AUTH=XOAUTH2] hi\r\n+\r\n"
	  "a1 OK [CAPABILITY IMAP4rev1] in\r\n",
	  "a1 AUTHENTICATE XOAUTH2\r\ndXNlcj11AWF1dGg9QmVhcmVyIHRvawEB\r\n",
	  NULL, "XOAUTH2", "IMAP4rev1" },
	{ "XOAUTH2: a server that keeps challenging", "disable", "xoauth2",
	  0, NULL, "tok", "* OK [CAPABILITY IMAP4rev1 SASL-IR] hi\r\n"
	  "+ x\r\n+ y\r\n+ z\r\n",
	  "a1 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvawEB\r\n"
	  "\r\n\r\n", "login did not end", NULL, NULL },
	{ "unknown tls mode", "sometimes", "any", 0, NULL, NULL, "", "",
	  "unknown tls mode: sometimes", NULL, NULL },
	{ "unknown auth", "disable", "kerberos", 0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n", "",
	  "unknown auth method: kerberos", NULL, NULL },
	{ "connection closed after the greeting", "disable", "password", 0,
	  NULL, NULL, "* OK [CAPABILITY IMAP4rev1] hi\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\n", "connection closed by server", NULL,
	  NULL },
	{ "BYE, then the connection closes during LOGIN", "disable",
	  "password", 0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n* BYE shutting down\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\n",
	  "server closed the session: BYE shutting down", NULL, NULL },
	{ "unexpected + during LOGIN", "disable", "password", 0, NULL, NULL,
	  "* OK [CAPABILITY IMAP4rev1] hi\r\n+ what\r\n",
	  "a1 LOGIN \"u\" \"p\"\r\n", "unexpected continuation request",
	  NULL, NULL },
};

/* Each opening transcript. */
static void
test_open(void)
{
	struct account		 account;
	struct driver_info	 info;
	struct peer		 peer;
	struct imap		*i;
	char			*cause;
	size_t			 n;

	for (n = 0; n < NCASES(open_cases); n++) {
		peer_account(&account, "imap", open_cases[n].tls,
		    open_cases[n].auth, open_cases[n].user,
		    open_cases[n].password);
		account.tls_seen = open_cases[n].tls_seen;
		cause = NULL;
		peer_start(&peer, open_cases[n].server, 0);
		i = open_peer(&peer, &account, NULL, &info, &cause);
		if (open_cases[n].cause == NULL) {
			ok(i != NULL, "%s: opened", open_cases[n].name);
			if (i == NULL)
				diag("cause: %s", cause);
			is_str(info.auth_method, open_cases[n].method,
			    "%s: method", open_cases[n].name);
			is_str(info.capabilities, open_cases[n].capabilities,
			    "%s: capabilities", open_cases[n].name);
		} else {
			ok(i == NULL, "%s: fails", open_cases[n].name);
			is_str(cause, open_cases[n].cause, "%s: cause",
			    open_cases[n].name);
		}
		finish(&peer, i, open_cases[n].client, open_cases[n].name);
		free(cause);
	}
}

/* XOAUTH2 with a token_command: an expired token is fetched once more. */
static void
test_token(void)
{
	static const char	 script[] =
	    "#!/bin/sh\n"
	    "n=$(cat \"$(dirname \"$0\")/count\" 2>/dev/null || echo 0)\n"
	    "n=$((n + 1))\n"
	    "echo $n >\"$(dirname \"$0\")/count\"\n"
	    "echo \"tok$n\"\n";
	char			 dir[] = "/tmp/pf-imap.XXXXXX", path[64];
	const char		*token_argv[2];
	struct account		 account;
	struct driver_info	 info;
	struct peer		 peer;
	struct imap		*i;
	char			*cause = NULL;

	test_dir(dir);
	snprintf(path, sizeof(path), "%s/token", dir);
	test_write(path, script, 0755);
	token_argv[0] = path;
	token_argv[1] = NULL;
	peer_account(&account, "imap", "disable", "xoauth2", NULL, "not this");

	/* 401: fetched again once, and the second token is good. */
	peer_start(&peer, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] "
	    "hi\r\n+ eyJzdGF0dXMiOiI0MDEifQ==\r\na1 NO expired\r\n"
	    "a2 OK [CAPABILITY IMAP4rev1] in\r\n", 0);
	i = open_peer(&peer, &account, token_argv, &info, &cause);
	ok(i != NULL, "token refetch: opened");
	is_str(cause, NULL, "token refetch: no cause");
	is_str(info.auth_method, "XOAUTH2", "token refetch: method");
	finish(&peer, i,
	    "a1 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvazEBAQ==\r\n"
	    "\r\n"
	    "a2 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvazIBAQ==\r\n",
	    "token refetch");
	free(cause);
	cause = NULL;

	/* Refused twice: only once more, and the second NO is the cause. */
	peer_start(&peer, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] "
	    "hi\r\n+ eyJzdGF0dXMiOiI0MDEifQ==\r\na1 NO expired\r\n"
	    "+ eyJzdGF0dXMiOiI0MDEifQ==\r\na2 NO still expired\r\n", 0);
	i = open_peer(&peer, &account, token_argv, &info, &cause);
	ok(i == NULL, "token refused twice: fails");
	is_str(cause, "login failed: NO still expired",
	    "token refused twice: cause");
	finish(&peer, i,
	    "a1 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvazMBAQ==\r\n"
	    "\r\n"
	    "a2 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvazQBAQ==\r\n"
	    "\r\n", "token refused twice");
	free(cause);
	cause = NULL;

	/* Another error (400): not fetched again. */
	peer_start(&peer, "* OK [CAPABILITY IMAP4rev1 SASL-IR AUTH=XOAUTH2] "
	    "hi\r\n+ eyJzdGF0dXMiOiI0MDAifQ==\r\na1 NO bad request\r\n", 0);
	i = open_peer(&peer, &account, token_argv, &info, &cause);
	ok(i == NULL, "token error 400: fails");
	is_str(cause, "login failed: NO bad request", "token error 400: cause");
	finish(&peer, i,
	    "a1 AUTHENTICATE XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvazUBAQ==\r\n"
	    "\r\n", "token error 400");
	free(cause);
	test_dir_remove(dir);
}

/* Server lines and client lines of a login with UIDPLUS, and without. */
#define LOGIN_S		"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n" \
			"a1 OK [CAPABILITY IMAP4rev1 UIDPLUS] in\r\n"
#define LOGIN_BARE_S	"* OK [CAPABILITY IMAP4rev1 AUTH=PLAIN] hi\r\n" \
			"a1 OK [CAPABILITY IMAP4rev1] in\r\n"
#define LOGIN_C		"a1 LOGIN \"u\" \"p\"\r\n"
/* SELECT INBOX of three messages, as a2. */
#define SELECT_S	"* FLAGS (\\Seen \\Deleted)\r\n* 3 EXISTS\r\n" \
			"* OK [UIDVALIDITY 42] UIDs valid\r\n" \
			"a2 OK [READ-WRITE] selected\r\n"
#define SELECT_C	"a2 SELECT \"INBOX\"\r\n"
#define LISTING_C	"a3 UID FETCH 1:* (UID RFC822.SIZE INTERNALDATE " \
			"FLAGS)\r\n"
#define FETCH_C(tag, set) tag " UID FETCH " set " (UID RFC822.SIZE " \
			"INTERNALDATE BODY.PEEK[])\r\n"

/* A logged-in session over a server that says script. */
static struct imap *
session(struct peer *peer, struct account *account, const char *script,
    size_t len)
{
	struct driver_info	 info;
	struct imap		*i;
	char			*cause = NULL;

	peer_start_big(peer, script, len, NULL, 0, 0, NULL, 0);
	i = open_peer(peer, account, NULL, &info, &cause);
	if (i == NULL)
		diag("session: %s", cause);
	free(cause);
	return i;
}

/* The folders to poll: LIST, delimiters, mUTF-7, what is skipped. */
static const struct {
	const char	*name;
	const char	*folders[4];	/* the account's, NULL-terminated */
	const char	*server;	/* after the login */
	const char	*client;	/* after the login */
	const char	*want;		/* "a|b|" or NULL */
	const char	*cause;
} folder_cases[] = {
	{ "every folder", { "*", NULL },
	  "* LIST (\\Noselect) \".\" \"\"\r\na2 OK\r\n"
	  "* LIST (\\HasNoChildren) \".\" \"INBOX\"\r\n"
	  "* LIST (\\Noselect \\HasChildren) \".\" \"Archive\"\r\n"
	  "* LIST () \".\" \"Archive.2024\"\r\n"
	  "* LIST (\\NonExistent) \".\" \"Gone\"\r\n"
	  "* LIST (\\noselect) \".\" \"Gone too\"\r\n"
	  "* LIST () \".\" \"Wys&AUI-ane\"\r\n"
	  "* LIST () \".\" 2024\r\n"
	  "* LIST () \".\" {6}\r\nDrafts\r\n"
	  "* LIST () \".\" \"a/b.c\"\r\n"
	  "a3 OK done\r\n",
	  "a2 LIST \"\" \"\"\r\na3 LIST \"\" \"*\"\r\n",
	  "INBOX|Archive/2024|Wys\305\202ane|2024|Drafts|a/b.c|", NULL },
	{ "named folders: only the delimiter asked", { "INBOX", "Sent",
	  NULL }, "* LIST (\\Noselect) \"/\" \"\"\r\na2 OK\r\n",
	  "a2 LIST \"\" \"\"\r\n", "INBOX|Sent|", NULL },
	{ "no folders: INBOX", { NULL },
	  "* LIST (\\Noselect) NIL \"\"\r\na2 OK\r\n",
	  "a2 LIST \"\" \"\"\r\n", "INBOX|", NULL },
	{ "inbox named and listed: once", { "inbox", "*", NULL },
	  "* LIST (\\Noselect) \"/\" \"\"\r\na2 OK\r\n"
	  "* LIST () \"/\" \"INBOX\"\r\n* LIST () \"/\" \"x.y\"\r\n"
	  "* LIST () \"/\" NIL\r\na3 OK\r\n",
	  "a2 LIST \"\" \"\"\r\na3 LIST \"\" \"*\"\r\n", "inbox|x.y|", NULL },
	{ "LIST refused", { "*", NULL },
	  "* LIST (\\Noselect) \"/\" \"\"\r\na2 OK\r\na3 NO [CANNOT] no\r\n",
	  "a2 LIST \"\" \"\"\r\na3 LIST \"\" \"*\"\r\n", NULL,
	  "LIST: NO [CANNOT] no" },
	{ "LIST \"\" \"\" refused", { "*", NULL }, "a2 BAD what\r\n",
	  "a2 LIST \"\" \"\"\r\n", NULL, "LIST: BAD what" },
};

/* Each folder listing, then SELECT of listed and unlisted names. */
static void
test_folders(void)
{
	struct account	 account;
	struct buffer	 script, got;
	struct peer	 peer;
	struct imap	*i;
	char		**folders, *cause;
	size_t		 n, k;
	int		 rc;

	for (n = 0; n < NCASES(folder_cases); n++) {
		peer_account(&account, "imap", "disable", "password", NULL,
		    NULL);
		account.folders = (char **)folder_cases[n].folders;
		memset(&script, 0, sizeof(script));
		memset(&got, 0, sizeof(got));
		buffer_add(&got, "", 0);
		buffer_add(&script, BYTES(LOGIN_S));
		buffer_add(&script, folder_cases[n].server,
		    strlen(folder_cases[n].server));
		cause = NULL;
		i = session(&peer, &account, script.data, script.len);
		rc = imap_driver.folders(i, &account, &folders, &cause);
		if (rc == 0) {
			for (k = 0; folders[k] != NULL; k++) {
				buffer_add(&got, folders[k],
				    strlen(folders[k]));
				buffer_add(&got, "|", 1);
			}
			xfreev(folders);
		}
		if (folder_cases[n].want != NULL)
			is_str(rc == 0 ? got.data : cause,
			    folder_cases[n].want, "folders: %s",
			    folder_cases[n].name);
		else
			is_str(cause, folder_cases[n].cause,
			    "folders: %s: cause", folder_cases[n].name);
		free(script.data);
		memset(&script, 0, sizeof(script));
		buffer_add(&script, BYTES(LOGIN_C));
		buffer_add(&script, folder_cases[n].client,
		    strlen(folder_cases[n].client));
		finish(&peer, i, script.data, folder_cases[n].name);
		free(script.data);
		free(got.data);
		free(cause);
	}
}

/* SELECT by shown name after LIST: the wire name LIST gave, or encoded. */
static void
test_folder_names(void)
{
	static const char *const folders[] = { "*", NULL };
	static const char *const names[] = { "Wys\305\202ane",
	    "Archive/2024", "Other/Zw\303\266lf", "inbox", "2024" };
	struct account	 account;
	struct peer	 peer;
	struct imap	*i;
	char		**listed = NULL, *cause = NULL;
	long long	 uidvalidity;
	size_t		 n;
	int		 good = 1;

	peer_account(&account, "imap", "disable", "password", NULL, NULL);
	account.folders = (char **)folders;
	i = session(&peer, &account, BYTES(LOGIN_S
	    "* LIST (\\Noselect) \".\" \"\"\r\na2 OK\r\n"
	    "* LIST () \".\" \"Wys&AUI-ane\"\r\n"
	    "* LIST () \".\" \"Archive.2024\"\r\n"
	    "* LIST () \".\" 2024\r\na3 OK\r\n"
	    "* OK [UIDVALIDITY 1] x\r\na4 OK\r\n"
	    "* OK [UIDVALIDITY 2] x\r\na5 OK\r\n"
	    "* OK [UIDVALIDITY 3] x\r\na6 OK\r\n"
	    "* OK [UIDVALIDITY 4] x\r\na7 OK\r\n"
	    "* OK [UIDVALIDITY 5] x\r\na8 OK\r\n"));
	ok(imap_driver.folders(i, &account, &listed, &cause) == 0,
	    "names: listed");
	xfreev(listed);
	for (n = 0; n < NCASES(names); n++) {
		if (imap_driver.select(i, names[n], &uidvalidity,
		    &cause) != 0 || uidvalidity != (long long)n + 1)
			good = 0;
	}
	ok(good, "names: each selected, its UIDVALIDITY read");
	finish(&peer, i, LOGIN_C "a2 LIST \"\" \"\"\r\na3 LIST \"\" \"*\"\r\n"
	    "a4 SELECT \"Wys&AUI-ane\"\r\na5 SELECT \"Archive.2024\"\r\n"
	    "a6 SELECT \"Other.Zw&APY-lf\"\r\na7 SELECT \"INBOX\"\r\n"
	    "a8 SELECT \"2024\"\r\n", "names");
	free(cause);
}

/* SELECT and EXAMINE. */
static const struct {
	const char	*name;
	int		 keep;
	const char	*folder;
	const char	*server;	/* after the login */
	const char	*client;	/* after the login */
	long long	 uidvalidity;
	const char	*cause;
} select_cases[] = {
	{ "SELECT", 0, "INBOX", SELECT_S, SELECT_C, 42, NULL },
	{ "EXAMINE with keep", 1, "INBOX",
	  "* 3 EXISTS\r\n* OK [UIDVALIDITY 4294967295] x\r\n"
	  "a2 OK [READ-ONLY] examined\r\n",
	  "a2 EXAMINE \"INBOX\"\r\n", 4294967295LL, NULL },
	{ "no UIDVALIDITY", 0, "INBOX", "* 3 EXISTS\r\na2 OK\r\n", SELECT_C,
	  0, "SELECT INBOX: the server gave no UIDVALIDITY" },
	{ "UIDVALIDITY 0 is none", 0, "INBOX",
	  "* OK [UIDVALIDITY 0] x\r\na2 OK\r\n", SELECT_C, 0,
	  "SELECT INBOX: the server gave no UIDVALIDITY" },
	{ "UIDVALIDITY too big is none", 0, "INBOX",
	  "* OK [UIDVALIDITY 4294967296] x\r\na2 OK\r\n", SELECT_C, 0,
	  "SELECT INBOX: the server gave no UIDVALIDITY" },
	{ "UIDVALIDITY in a tagged OK does not count", 0, "INBOX",
	  "a2 OK [UIDVALIDITY 7] x\r\n", SELECT_C, 0,
	  "SELECT INBOX: the server gave no UIDVALIDITY" },
	{ "SELECT refused", 0, "Junk",
	  "a2 NO [NONEXISTENT] no such folder\r\n", "a2 SELECT \"Junk\"\r\n",
	  0, "SELECT Junk: NO [NONEXISTENT] no such folder" },
	{ "EXAMINE refused", 1, "Junk", "a2 NO no\r\n",
	  "a2 EXAMINE \"Junk\"\r\n", 0, "EXAMINE Junk: NO no" },
	{ "folder name with a quote", 0, "a\"b",
	  "* OK [UIDVALIDITY 9] x\r\na2 OK\r\n", "a2 SELECT \"a\\\"b\"\r\n",
	  9, NULL },
	{ "BYE, then the connection closes", 0, "INBOX",
	  "* BYE server shutting down\r\n", SELECT_C, 0,
	  "server closed the session: BYE server shutting down" },
};

static void
test_select(void)
{
	struct account	 account;
	struct buffer	 script, client;
	struct peer	 peer;
	struct imap	*i;
	char		*cause;
	long long	 uidvalidity;
	size_t		 n;
	int		 rc;

	for (n = 0; n < NCASES(select_cases); n++) {
		peer_account(&account, "imap", "disable", "password", NULL,
		    NULL);
		account.keep = select_cases[n].keep;
		memset(&script, 0, sizeof(script));
		memset(&client, 0, sizeof(client));
		buffer_add(&script, BYTES(LOGIN_S));
		buffer_add(&script, select_cases[n].server,
		    strlen(select_cases[n].server));
		buffer_add(&client, BYTES(LOGIN_C));
		buffer_add(&client, select_cases[n].client,
		    strlen(select_cases[n].client));
		cause = NULL;
		uidvalidity = 0;
		i = session(&peer, &account, script.data, script.len);
		rc = imap_driver.select(i, select_cases[n].folder,
		    &uidvalidity, &cause);
		if (select_cases[n].cause == NULL) {
			is_int(rc, 0, "select: %s", select_cases[n].name);
			is_int(uidvalidity, select_cases[n].uidvalidity,
			    "select: %s: UIDVALIDITY", select_cases[n].name);
		} else {
			is_int(rc, -1, "select: %s: fails",
			    select_cases[n].name);
			is_str(cause, select_cases[n].cause,
			    "select: %s: cause", select_cases[n].name);
		}
		finish(&peer, i, client.data, select_cases[n].name);
		free(script.data);
		free(client.data);
		free(cause);
	}
}

/* The listing of the selected folder (INBOX of SELECT_S). */
static const struct {
	const char	*name;
	const char	*server;	/* after the login */
	const char	*client;	/* after the login */
	const char	*want;		/* "uid size received;..." or NULL */
	const char	*cause;
} list_cases[] = {
	{ "three messages, one \\Deleted, out of order", SELECT_S
	  "* 3 FETCH (FLAGS () UID 12 RFC822.SIZE 300)\r\n"
	  "* 1 FETCH (UID 10 RFC822.SIZE 100 INTERNALDATE "
	  "\"17-Jul-1996 02:44:25 -0700\" FLAGS (\\Seen))\r\n"
	  "* 2 FETCH (UID 11 RFC822.SIZE 200 FLAGS (\\Deleted \\Seen))\r\n"
	  "a3 OK done\r\n", SELECT_C LISTING_C,
	  "10 10 100 837596665;12 12 300 0;", NULL },
	{ "INTERNALDATE with a leading space, east of UTC", SELECT_S
	  "* 1 FETCH (UID 7 RFC822.SIZE 1 INTERNALDATE "
	  "\" 1-Jan-2024 01:00:00 +0100\" FLAGS ())\r\na3 OK\r\n",
	  SELECT_C LISTING_C, "7 7 1 1704067200;", NULL },
	{ "bad INTERNALDATE: no time", SELECT_S
	  "* 1 FETCH (UID 7 RFC822.SIZE 1 INTERNALDATE "
	  "\"1-Foo-2024 01:00:00 +0100\" FLAGS ())\r\na3 OK\r\n",
	  SELECT_C LISTING_C, "7 7 1 0;", NULL },
	{ "untagged noise ignored", SELECT_S
	  "* 4 EXISTS\r\n* 1 RECENT\r\n* OK [ALERT] maintenance\r\n"
	  "* 1 FETCH (UID 5 RFC822.SIZE 9 FLAGS ())\r\n"
	  "* SEARCH 1\r\na3 OK\r\n", SELECT_C LISTING_C, "5 5 9 0;", NULL },
	{ "empty folder sends nothing",
	  "* 0 EXISTS\r\n* OK [UIDVALIDITY 42] x\r\na2 OK\r\n", SELECT_C,
	  "", NULL },
	{ "duplicate UID", SELECT_S
	  "* 1 FETCH (UID 10 RFC822.SIZE 1 FLAGS ())\r\n"
	  "* 2 FETCH (UID 10 RFC822.SIZE 1 FLAGS ())\r\na3 OK\r\n",
	  SELECT_C LISTING_C, NULL, "the server listed UID 10 twice" },
	{ "UID not a number", SELECT_S
	  "* 1 FETCH (UID abc RFC822.SIZE 1 FLAGS ())\r\na3 OK\r\n",
	  SELECT_C LISTING_C, NULL, "malformed FETCH response: "
	  "* 1 FETCH (UID abc RFC822.SIZE 1 FLAGS ())" },
	{ "UID 0", SELECT_S
	  "* 1 FETCH (UID 0 RFC822.SIZE 1 FLAGS ())\r\na3 OK\r\n",
	  SELECT_C LISTING_C, NULL, "malformed FETCH response: "
	  "* 1 FETCH (UID 0 RFC822.SIZE 1 FLAGS ())" },
	{ "no RFC822.SIZE", SELECT_S
	  "* 1 FETCH (UID 3 FLAGS ())\r\na3 OK\r\n",
	  SELECT_C LISTING_C, NULL, "malformed FETCH response: "
	  "* 1 FETCH (UID 3 FLAGS ())" },
	{ "FLAGS not a list", SELECT_S
	  "* 1 FETCH (UID 3 RFC822.SIZE 1 FLAGS \\Seen)\r\na3 OK\r\n",
	  SELECT_C LISTING_C, NULL, "malformed FETCH response: "
	  "* 1 FETCH (UID 3 RFC822.SIZE 1 FLAGS \\Seen)" },
	{ "listing refused", SELECT_S "a3 NO [UNAVAILABLE] busy\r\n",
	  SELECT_C LISTING_C, NULL, "UID FETCH (listing): NO [UNAVAILABLE] "
	  "busy" },
	{ "a 10 GB literal is refused, not allocated", SELECT_S
	  "* 1 FETCH (UID 10 RFC822.SIZE 1 FLAGS () INTERNALDATE "
	  "{10737418240}\r\n", SELECT_C LISTING_C, NULL,
	  "literal of 10737418240 octets over the limit of 1048576: "
	  "\"* 1 FETCH (UID 10 RFC822.SIZE 1 FLAGS () INTERNALDATE "
	  "{10737418240}\"" },
	{ "response with an unknown tag", SELECT_S "a9 OK what\r\n",
	  SELECT_C LISTING_C, NULL,
	  "response with an unknown tag: a9 OK what" },
	{ "cut off", SELECT_S "* 1 FETCH (UID 10 RFC822.SIZE 1 FLAGS ())\r\n",
	  SELECT_C LISTING_C, NULL, "connection closed by server" },
	{ "BYE, then the connection closes", SELECT_S
	  "* BYE idle too long\r\n", SELECT_C LISTING_C, NULL,
	  "server closed the session: BYE idle too long" },
};

static void
test_list(void)
{
	struct driver_message	*list;
	struct account		 account;
	struct buffer		 script, client, got;
	struct peer		 peer;
	struct imap		*i;
	char			*cause, line[128];
	long long		 uidvalidity;
	size_t			 n, k, count;
	int			 rc;

	for (n = 0; n < NCASES(list_cases); n++) {
		peer_account(&account, "imap", "disable", "password", NULL,
		    NULL);
		memset(&script, 0, sizeof(script));
		memset(&client, 0, sizeof(client));
		memset(&got, 0, sizeof(got));
		buffer_add(&got, "", 0);
		buffer_add(&script, BYTES(LOGIN_S));
		buffer_add(&script, list_cases[n].server,
		    strlen(list_cases[n].server));
		buffer_add(&client, BYTES(LOGIN_C));
		buffer_add(&client, list_cases[n].client,
		    strlen(list_cases[n].client));
		cause = NULL;
		i = session(&peer, &account, script.data, script.len);
		rc = imap_driver.select(i, "INBOX", &uidvalidity, &cause);
		if (rc == 0)
			rc = imap_driver.list(i, &list, &count, &cause);
		if (rc == 0) {
			for (k = 0; k < count; k++) {
				snprintf(line, sizeof(line), "%s %llu %llu "
				    "%lld;", list[k].uid, list[k].handle,
				    list[k].size, (long long)list[k].received);
				buffer_add(&got, line, strlen(line));
			}
			free(list);
		}
		if (list_cases[n].want != NULL)
			is_str(rc == 0 ? got.data : cause, list_cases[n].want,
			    "list: %s", list_cases[n].name);
		else
			is_str(cause, list_cases[n].cause, "list: %s: cause",
			    list_cases[n].name);
		finish(&peer, i, client.data, list_cases[n].name);
		free(script.data);
		free(client.data);
		free(got.data);
		free(cause);
	}
}

/* The listing of INBOX before a fetch: UIDs 10, 11, 12 at 1, 2, 3. */
#define LISTING_S(size)	"* 1 FETCH (UID 10 RFC822.SIZE " size " FLAGS ())\r\n" \
			"* 2 FETCH (UID 11 RFC822.SIZE " size " FLAGS ())\r\n" \
			"* 3 FETCH (UID 12 RFC822.SIZE " size " FLAGS ())\r\n" \
			"a3 OK\r\n"
/* Small messages go in one UID FETCH, 8 MB ones one by one. */
#define SMALL		LISTING_S("1")
#define BIG		LISTING_S("8388608")
#define NOT_RETURNED	"not returned by the server (expunged meanwhile?)"

/* Retrievals of UIDs 10, 11, 12 (indexes 0, 1, 2). */
static const struct {
	const char	*name;
	int		 refuse;
	int		 stop;
	const char	*server;	/* after the listing */
	size_t		 serverlen;
	const char	*client;	/* after the listing */
	const char	*want;		/* what the sink saw */
	size_t		 wantlen;
	int		 rc;
	const char	*cause;
} fetch_cases[] = {
	{ "one batch, literals streamed", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 RFC822.SIZE 12 BODY[] {12}\r\n"
	  "Subject: a\r\n)\r\n"
	  "* 2 FETCH (UID 11 BODY[] {6}\r\nb\r\nc\r\n)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {3}\r\nx\0y)\r\na4 OK done\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|Subject: a\n|E0:1\nB1|b\nc\n|E1:1\nB2|x\0y|E2:1\n"), 0,
	  NULL },
	{ "two batches pipelined", 0, 0,
	  BYTES(BIG "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\na4 OK\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\na5 OK\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na6 OK\r\n"),
	  FETCH_C("a4", "10") FETCH_C("a5", "11") FETCH_C("a6", "12"),
	  BYTES("B0|a|E0:1\nB1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "a batch tagged NO: its messages refused", 0, 0,
	  BYTES(BIG "a4 NO [UNAVAILABLE] try later\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\na5 OK\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na6 OK\r\n"),
	  FETCH_C("a4", "10") FETCH_C("a5", "11") FETCH_C("a6", "12"),
	  BYTES("B0||E0:0:UID FETCH: NO [UNAVAILABLE] try later\n"
	  "B1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "a message not returned", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|a|E0:1\nB2|c|E2:1\nB1||E1:0:" NOT_RETURNED "\n"), 0,
	  NULL },
	{ "UID after the literal", 0, 0,
	  BYTES(SMALL "* 1 FETCH (BODY[] {1}\r\na UID 10)\r\n"
	  "* 2 FETCH (RFC822.SIZE 1 BODY[] {1}\r\nb UID 12)\r\n"
	  "* 3 FETCH (BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|a|E0:1\nB1|b|E1:0:FETCH response with a UID other than "
	  "its sequence number's\nB2|c|E2:1\n"), 0, NULL },
	{ "unsolicited FETCH FLAGS, EXISTS, RECENT mid-fetch", 0, 0,
	  BYTES(SMALL "* 1 FETCH (FLAGS (\\Seen))\r\n"
	  "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\n* 4 EXISTS\r\n"
	  "* 1 RECENT\r\n* 2 FETCH (FLAGS (\\Seen) UID 11)\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|a|E0:1\nB1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "EXPUNGE mid-fetch renumbers", 0, 0,
	  BYTES(SMALL "* 1 EXPUNGE\r\n* 1 FETCH (BODY[] {1}\r\nb)\r\n"
	  "* 2 FETCH (BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B1|b|E1:1\nB2|c|E2:1\nB0||E0:0:" NOT_RETURNED "\n"), 0,
	  NULL },
	{ "a literal not ours is read and dropped", 0, 0,
	  BYTES(SMALL "* 9 FETCH (UID 99 BODY[] {3}\r\nzzz)\r\n"
	  "* 1 FETCH (UID 10 BODY[HEADER] {3}\r\nhhh BODY[] {1}\r\na)\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|a|E0:1\nB1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "a message sent twice is taken once", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\n"
	  "* 1 FETCH (UID 10 BODY[] {1}\r\nA)\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|a|E0:1\nB1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "two BODY[] in one response: the first is the message", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {1}\r\na BODY[] {1}\r\nA)\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0|a|E0:1\nB1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "the sink refuses data: read on, the next goes on", 1, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {6}\r\na\r\nb\r\n)\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\n"
	  "* 3 FETCH (UID 12 BODY[] {1}\r\nc)\r\na4 OK\r\n"),
	  FETCH_C("a4", "10:12"),
	  BYTES("B0||E0:1\nB1|b|E1:1\nB2|c|E2:1\n"), 0, NULL },
	{ "the sink says stop: the batches in flight drained", 0, 1,
	  BYTES(BIG "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\na4 OK\r\n"
	  "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\na5 OK\r\n"),
	  FETCH_C("a4", "10") FETCH_C("a5", "11"),
	  BYTES("B0|a|E0:1\n"), 0, NULL },
	{ "dropped mid-literal", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {100}\r\nabc\r\nde"),
	  FETCH_C("a4", "10:12"), BYTES("B0|abc\nde|E0:0\n"), -1,
	  "connection closed by server" },
	{ "a 10 GB literal, far over the listed size, is refused", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {10737418240}\r\nabc\r\n"),
	  FETCH_C("a4", "10:12"), BYTES("B0||E0:0\n"), -1,
	  "literal of 10737418240 octets over the limit of 1048576: "
	  "\"* 1 FETCH (UID 10 BODY[] {10737418240}\"" },
	{ "dropped after a literal, before its response ends", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {1}\r\na"),
	  FETCH_C("a4", "10:12"), BYTES("B0|a|E0:0\n"), -1,
	  "connection closed by server" },
	{ "BYE, then the connection closes", 0, 0,
	  BYTES(SMALL "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\n"
	  "* BYE going down\r\n"),
	  FETCH_C("a4", "10:12"), BYTES("B0|a|E0:1\n"), -1,
	  "server closed the session: BYE going down" },
	{ "a response with an unknown tag", 0, 0,
	  BYTES(SMALL "a9 OK what\r\n"), FETCH_C("a4", "10:12"), BYTES(""),
	  -1, "unexpected response: a9 OK what" },
};

/* Each retrieval, after SELECT and the listing. */
static void
test_fetch(void)
{
	static const size_t	 indexes[] = { 0, 1, 2 };
	struct driver_message	*list = NULL;
	struct account		 account;
	struct record		 record;
	struct buffer		 script, client;
	struct peer		 peer;
	struct imap		*i;
	char			*cause, name[128];
	long long		 uidvalidity;
	size_t			 n, count = 0;
	int			 rc;

	for (n = 0; n < NCASES(fetch_cases); n++) {
		peer_account(&account, "imap", "disable", "password", NULL,
		    NULL);
		memset(&script, 0, sizeof(script));
		memset(&client, 0, sizeof(client));
		memset(&record, 0, sizeof(record));
		buffer_add(&record.b, "", 0);
		record.refuse = fetch_cases[n].refuse;
		record.stop = fetch_cases[n].stop;
		buffer_add(&script, BYTES(LOGIN_S SELECT_S));
		buffer_add(&script, fetch_cases[n].server,
		    fetch_cases[n].serverlen);
		buffer_add(&client, BYTES(LOGIN_C SELECT_C LISTING_C));
		buffer_add(&client, fetch_cases[n].client,
		    strlen(fetch_cases[n].client));
		cause = NULL;
		i = session(&peer, &account, script.data, script.len);
		if (imap_driver.select(i, "INBOX", &uidvalidity, &cause) != 0 ||
		    imap_driver.list(i, &list, &count, &cause) != 0 ||
		    count != 3)
			diag("fetch: %s: no listing: %s", fetch_cases[n].name,
			    cause);
		rc = imap_driver.fetch(i, list, indexes, count, &record_sink,
		    &record, &cause);
		is_int(rc, fetch_cases[n].rc, "fetch: %s: result",
		    fetch_cases[n].name);
		is_str(cause, fetch_cases[n].cause, "fetch: %s: cause",
		    fetch_cases[n].name);
		snprintf(name, sizeof(name), "fetch: %s", fetch_cases[n].name);
		record_is(&record, fetch_cases[n].want, fetch_cases[n].wantlen,
		    name);
		ok(!record.misuse && !record.open, "fetch: %s: begin and end "
		    "paired", fetch_cases[n].name);
		finish(&peer, i, client.data, fetch_cases[n].name);
		free(list);
		list = NULL;
		free(script.data);
		free(client.data);
		free(record.b.data);
		free(cause);
	}
}

/* The session is in step after a fetch the sink stopped. */
static void
test_fetch_then_more(void)
{
	static const size_t	 indexes[] = { 0, 1, 2 };
	struct driver_message	*list = NULL;
	struct account		 account;
	struct record		 record;
	struct peer		 peer;
	struct imap		*i;
	char			*cause = NULL;
	long long		 uidvalidity;
	size_t			 count = 0;

	peer_account(&account, "imap", "disable", "password", NULL, NULL);
	memset(&record, 0, sizeof(record));
	buffer_add(&record.b, "", 0);
	record.stop = 1;
	i = session(&peer, &account, BYTES(LOGIN_S SELECT_S BIG
	    "* 1 FETCH (UID 10 BODY[] {1}\r\na)\r\na4 OK\r\n"
	    "* 2 FETCH (UID 11 BODY[] {1}\r\nb)\r\na5 OK\r\n"
	    "* BYE logging out\r\na6 OK bye\r\n"));
	ok(imap_driver.select(i, "INBOX", &uidvalidity, &cause) == 0 &&
	    imap_driver.list(i, &list, &count, &cause) == 0 &&
	    imap_driver.fetch(i, list, indexes, count, &record_sink, &record,
	    &cause) == 0, "stopped fetch: done");
	ok(imap_driver.quit(i, &cause) == 0, "stopped fetch: LOGOUT in step");
	is_str(cause, NULL, "stopped fetch: no cause");
	finish(&peer, i, LOGIN_C SELECT_C LISTING_C FETCH_C("a4", "10")
	    FETCH_C("a5", "11") "a6 LOGOUT\r\n", "stopped fetch");
	free(list);
	free(record.b.data);
	free(cause);
}

/* Message-IDs from the header alone. */
static void
test_identify(void)
{
	static const size_t	 indexes[] = { 2, 0, 1 };
	struct driver_message	 list[3];
	struct account		 account;
	struct peer		 peer;
	struct imap		*i;
	char			*ids[3] = { NULL, NULL, NULL }, *cause = NULL;
	long long		 uidvalidity;
	size_t			 n;

	memset(list, 0, sizeof(list));
	for (n = 0; n < 3; n++)
		list[n].handle = 10 + n;
	peer_account(&account, "imap", "disable", "password", NULL, NULL);
	i = session(&peer, &account, BYTES(LOGIN_S SELECT_S
	    "* 1 FETCH (UID 10 BODY[HEADER.FIELDS (MESSAGE-ID)] {23}\r\n"
	    "Message-ID: <a@b.c>\r\n\r\n)\r\n"
	    "* 2 FETCH (UID 11 BODY[HEADER.FIELDS (MESSAGE-ID)] {2}\r\n"
	    "\r\n)\r\n"
	    "* 3 FETCH (BODY[HEADER.FIELDS (\"MESSAGE-ID\")] {23}\r\n"
	    "Message-Id:\r\n <x@y>\r\n\r\n UID 12)\r\n"
	    "* 4 FETCH (UID 99 BODY[HEADER.FIELDS (MESSAGE-ID)] {10}\r\n"
	    "Message-ID)\r\n"
	    "a3 OK done\r\n"
	    "a4 NO [UNAVAILABLE] later\r\n"));
	ok(imap_driver.select(i, "INBOX", &uidvalidity, &cause) == 0 &&
	    imap_driver.identify(i, list, indexes, 3, ids, &cause) == 0,
	    "identify: done");
	is_str(ids[0], "x@y", "identify: UID 12, folded, UID after");
	is_str(ids[1], "a@b.c", "identify: UID 10");
	is_str(ids[2], NULL, "identify: UID 11 has none");
	for (n = 0; n < 3; n++) {
		free(ids[n]);
		ids[n] = NULL;
	}
	ok(imap_driver.identify(i, list, indexes, 1, ids, &cause) == -1,
	    "identify: refused");
	is_str(cause, "UID FETCH (Message-IDs): NO [UNAVAILABLE] later",
	    "identify: refused: cause");
	finish(&peer, i, LOGIN_C SELECT_C
	    "a3 UID FETCH 10:12 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n"
	    "a4 UID FETCH 12 (UID BODY.PEEK[HEADER.FIELDS (MESSAGE-ID)])\r\n",
	    "identify");
	free(ids[0]);
	free(cause);
}

/* UID STORE, UID EXPUNGE or the guarded EXPUNGE, LOGOUT. */
static const struct {
	const char	*name;
	int		 uidplus;
	const char	*server;	/* after SELECT */
	const char	*client;	/* after SELECT */
	const char	*refused;	/* of each, or NULL */
	int		 expunge_rc;
	const char	*cause;		/* of the expunge */
} delete_cases[] = {
	{ "UIDPLUS: UID EXPUNGE of ours", 1,
	  "a3 OK\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n* 1 EXPUNGE\r\n"
	  "* 1 EXPUNGE\r\na4 OK expunged\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n"
	  "a4 UID EXPUNGE 1:3,7\r\n", NULL, 0, NULL },
	{ "UID STORE refused: nothing to expunge", 1,
	  "a3 NO [CANNOT] read-only\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n",
	  "NO [CANNOT] read-only", 0, NULL },
	{ "UID EXPUNGE refused", 1, "a3 OK\r\na4 NO [CANNOT] no\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n"
	  "a4 UID EXPUNGE 1:3,7\r\n", NULL, -1, "UID EXPUNGE: NO [CANNOT] no" },
	{ "no UIDPLUS, only ours \\Deleted: EXPUNGE", 0,
	  "a3 OK\r\n* SEARCH 7 3 2 1\r\na4 OK\r\na5 OK\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n"
	  "a4 UID SEARCH DELETED\r\na5 EXPUNGE\r\n", NULL, 0, NULL },
	{ "no UIDPLUS, another's \\Deleted too: no EXPUNGE", 0,
	  "a3 OK\r\n* SEARCH 1 2 3 5 7\r\na4 OK\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n"
	  "a4 UID SEARCH DELETED\r\n", NULL, 0, NULL },
	{ "no UIDPLUS, UID SEARCH refused", 0, "a3 OK\r\na4 BAD no\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n"
	  "a4 UID SEARCH DELETED\r\n", NULL, -1, "UID SEARCH DELETED: BAD no" },
	{ "no UIDPLUS, EXPUNGE refused", 0,
	  "a3 OK\r\n* SEARCH\r\na4 OK\r\na5 NO [CANNOT] no\r\n",
	  "a3 UID STORE 1:3,7 +FLAGS.SILENT (\\Deleted)\r\n"
	  "a4 UID SEARCH DELETED\r\na5 EXPUNGE\r\n", NULL, -1,
	  "EXPUNGE: NO [CANNOT] no" },
};

static void
test_delete(void)
{
	static const size_t	 indexes[] = { 3, 0, 2, 1 };
	static const unsigned long long uids[] = { 1, 2, 3, 7 };
	struct driver_message	 list[4];
	struct account		 account;
	struct buffer		 script, client;
	struct peer		 peer;
	struct imap		*i;
	char			*refused[4], *cause;
	long long		 uidvalidity;
	size_t			 n, k;
	int			 rc, good;

	memset(list, 0, sizeof(list));
	for (k = 0; k < 4; k++)
		list[k].handle = uids[k];
	for (n = 0; n < NCASES(delete_cases); n++) {
		peer_account(&account, "imap", "disable", "password", NULL,
		    NULL);
		memset(&script, 0, sizeof(script));
		memset(&client, 0, sizeof(client));
		buffer_add(&script, delete_cases[n].uidplus ? LOGIN_S :
		    LOGIN_BARE_S, strlen(delete_cases[n].uidplus ? LOGIN_S :
		    LOGIN_BARE_S));
		buffer_add(&script, BYTES(SELECT_S));
		buffer_add(&script, delete_cases[n].server,
		    strlen(delete_cases[n].server));
		buffer_add(&client, BYTES(LOGIN_C SELECT_C));
		buffer_add(&client, delete_cases[n].client,
		    strlen(delete_cases[n].client));
		memset(refused, 0, sizeof(refused));
		cause = NULL;
		i = session(&peer, &account, script.data, script.len);
		rc = imap_driver.select(i, "INBOX", &uidvalidity, &cause);
		if (rc == 0)
			rc = imap_driver.delete(i, list, indexes, 4, refused,
			    &cause);
		is_int(rc, 0, "delete: %s: result", delete_cases[n].name);
		good = 1;
		for (k = 0; k < 4; k++) {
			if ((refused[k] == NULL) != (delete_cases[n].refused ==
			    NULL) || (refused[k] != NULL &&
			    strcmp(refused[k], delete_cases[n].refused) != 0))
				good = 0;
			free(refused[k]);
		}
		ok(good, "delete: %s: refusals", delete_cases[n].name);
		is_int(imap_driver.expunge(i, &cause),
		    delete_cases[n].expunge_rc, "delete: %s: expunge",
		    delete_cases[n].name);
		is_str(cause, delete_cases[n].cause, "delete: %s: cause",
		    delete_cases[n].name);
		finish(&peer, i, client.data, delete_cases[n].name);
		free(script.data);
		free(client.data);
		free(cause);
	}
}

/* 300 UIDs: two UID STOREs and two UID EXPUNGEs of at most 256. */
static void
test_delete_many(void)
{
	struct driver_message	 list[300];
	struct account		 account;
	struct peer		 peer;
	struct imap		*i;
	char			*refused[300], *cause = NULL;
	long long		 uidvalidity;
	size_t			 indexes[300], n;

	memset(list, 0, sizeof(list));
	memset(refused, 0, sizeof(refused));
	for (n = 0; n < 300; n++) {
		list[n].handle = n < 150 ? n + 1 : n + 2;
		indexes[n] = 299 - n;
	}
	peer_account(&account, "imap", "disable", "password", NULL, NULL);
	i = session(&peer, &account, BYTES(LOGIN_S SELECT_S
	    "a3 OK\r\na4 OK\r\na5 OK\r\na6 OK\r\n"));
	ok(imap_driver.select(i, "INBOX", &uidvalidity, &cause) == 0 &&
	    imap_driver.delete(i, list, indexes, 300, refused, &cause) == 0 &&
	    imap_driver.expunge(i, &cause) == 0, "300 UIDs: stored, expunged");
	/* indexes 299..44 are UIDs 301..152 and 150..45 */
	finish(&peer, i, LOGIN_C SELECT_C
	    "a3 UID STORE 45:150,152:301 +FLAGS.SILENT (\\Deleted)\r\n"
	    "a4 UID STORE 1:44 +FLAGS.SILENT (\\Deleted)\r\n"
	    "a5 UID EXPUNGE 1:150,152:257\r\n"
	    "a6 UID EXPUNGE 258:301\r\n", "300 UIDs");
	free(cause);
}

/* LOGOUT, and what follows it. */
static void
test_logout(void)
{
	struct account		 account;
	struct peer		 peer;
	struct imap		*i;
	char			*cause = NULL;
	long long		 uidvalidity;

	peer_account(&account, "imap", "disable", "password", NULL, NULL);
	i = session(&peer, &account, BYTES(LOGIN_S
	    "* BYE logging out\r\na2 OK LOGOUT completed\r\n"));
	ok(imap_driver.quit(i, &cause) == 0, "LOGOUT: BYE then OK");
	ok(imap_driver.select(i, "INBOX", &uidvalidity, &cause) == -1,
	    "LOGOUT: no SELECT after it");
	is_str(cause, "IMAP session unusable: session ended with LOGOUT",
	    "LOGOUT: cause after it");
	finish(&peer, i, LOGIN_C "a2 LOGOUT\r\n", "LOGOUT");
	free(cause);
	cause = NULL;

	i = session(&peer, &account, BYTES(LOGIN_S "* BYE logging out\r\n"));
	ok(imap_driver.quit(i, &cause) == -1, "LOGOUT: BYE, then closed");
	is_str(cause, "server closed the session: BYE logging out",
	    "LOGOUT: BYE, then closed: cause");
	finish(&peer, i, LOGIN_C "a2 LOGOUT\r\n", "LOGOUT, closed");
	free(cause);
	cause = NULL;

	i = session(&peer, &account, BYTES(LOGIN_S "a2 BAD what\r\n"));
	ok(imap_driver.quit(i, &cause) == -1, "LOGOUT: BAD");
	is_str(cause, "LOGOUT: BAD what", "LOGOUT: BAD: cause");
	finish(&peer, i, LOGIN_C "a2 LOGOUT\r\n", "LOGOUT, BAD");
	free(cause);
	cause = NULL;

	/* After a failure that broke the session: refused, with a cause. */
	i = session(&peer, &account, BYTES(LOGIN_S "* 1 FETCH (UID"));
	ok(imap_driver.select(i, "INBOX", &uidvalidity, &cause) == -1,
	    "broken: SELECT fails");
	free(cause);
	cause = NULL;
	ok(imap_driver.expunge(i, &cause) == 0, "broken: nothing to expunge");
	ok(imap_driver.quit(i, &cause) == -1, "broken: LOGOUT refused");
	is_str(cause, "IMAP session unusable: connection failed",
	    "broken: LOGOUT refused: cause");
	finish(&peer, i, LOGIN_C SELECT_C, "broken");
	free(cause);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_open();
	test_token();
	test_folders();
	test_folder_names();
	test_select();
	test_list();
	test_fetch();
	test_fetch_then_more();
	test_identify();
	test_delete();
	test_delete_many();
	test_logout();
	return done_testing();
}
