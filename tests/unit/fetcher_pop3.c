/*
 * Unit tests for fetcher/pop3.c: scripted server transcripts over a
 * socketpair. A child process plays the server: it sends the whole
 * script (POP3 is strict request/response, so the client reads the
 * replies in order), then hands back every byte the client sent, which
 * is compared with the exact lines expected.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../fetcher/account.h"
#include "../../fetcher/pop3.h"
#include "../../fetcher/transport.h"
#include "peer.h"
#include "tap.h"
#include "xmalloc.h"

/* The end of the cause of a session refused before it went plain. */
#define REFUSED(tls)	": plain text refused (tls = " tls "); set tls = " \
			"'disable' to allow it"

/* Login transcripts: what the server says, what the client must say. */
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
} login_cases[] = {
	{ "greeting -ERR", "disable", "password", 0, NULL, NULL,
	  "-ERR go away\r\n", "",
	  "server greeting: -ERR go away", NULL },
	{ "garbage greeting", "disable", "password", 0, NULL, NULL,
	  "HELLO there\r\n", "",
	  "unexpected reply from server: HELLO there", NULL },
	{ "greeting with control bytes is shown safely", "disable",
	  "password", 0, NULL, NULL,
	  "-ERR \033[2J\001bye\r\n", "",
	  "server greeting: -ERR ?[2J?bye", NULL },
	{ "USER/PASS, no CAPA (old server)", "disable", "password", 0,
	  NULL, NULL,
	  "+OK hello\r\n-ERR what?\r\n+OK\r\n+OK logged in\r\n",
	  "CAPA\r\nUSER u\r\nPASS p\r\n", NULL, "USER/PASS" },
	{ "USER/PASS, lowercase replies, LF only", "disable", "password", 0,
	  NULL, NULL,
	  "+ok hello\n-err\n+ok\n+ok\n",
	  "CAPA\r\nUSER u\r\nPASS p\r\n", NULL, "USER/PASS" },
	{ "USER/PASS refused", "disable", "password", 0, NULL, NULL,
	  "+OK\r\n-ERR\r\n+OK\r\n-ERR [AUTH] Authentication failed.\r\n",
	  "CAPA\r\nUSER u\r\nPASS p\r\n",
	  "login failed: -ERR [AUTH] Authentication failed.", NULL },
	{ "USER refused", "disable", "password", 0, NULL, NULL,
	  "+OK\r\n-ERR\r\n-ERR [SYS/TEMP] mailbox locked\r\n",
	  "CAPA\r\nUSER u\r\n",
	  "login failed: -ERR [SYS/TEMP] mailbox locked", NULL },
	{ "APOP, RFC 1939 example", "disable", "apop", 0, "mrose",
	  "tanstaaf",
	  "+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n"
	  "-ERR\r\n+OK maildrop has 1 message (369 octets)\r\n",
	  "CAPA\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
	  NULL, "APOP" },
	{ "APOP without a timestamp", "disable", "apop", 0, NULL, NULL,
	  "+OK ready\r\n-ERR\r\n", "CAPA\r\n",
	  "APOP: the server greeting has no timestamp (APOP not offered)",
	  NULL },
	{ "any picks CRAM-MD5, RFC 2195 example", "disable", "any", 0,
	  "tim", "tanstaaftanstaaf",
	  "+OK\r\n+OK\r\nSASL PLAIN CRAM-MD5 LOGIN\r\nUSER\r\n.\r\n"
	  "+ PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n"
	  "+OK\r\n",
	  "CAPA\r\nAUTH CRAM-MD5\r\n"
	  "dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n",
	  NULL, "CRAM-MD5" },
	{ "CRAM-MD5 with a bad challenge", "disable", "cram-md5", 0, NULL,
	  NULL, "+OK\r\n-ERR\r\n+ !!!\r\n", "CAPA\r\nAUTH CRAM-MD5\r\n",
	  "CRAM-MD5: bad challenge: + !!!", NULL },
	{ "PLAIN with initial response", "disable", "plain", 0, "tim",
	  "tanstaaftanstaaf",
	  "+OK\r\n+OK\r\nSASL PLAIN\r\n.\r\n+OK\r\n",
	  "CAPA\r\nAUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
	  NULL, "PLAIN" },
	{ "PLAIN refused", "disable", "plain", 0, "tim", "x",
	  "+OK\r\n+OK\r\nSASL PLAIN\r\n.\r\n-ERR [AUTH] nope\r\n",
	  "CAPA\r\nAUTH PLAIN AHRpbQB4\r\n",
	  "login failed: -ERR [AUTH] nope", NULL },
	{ "LOGIN", "disable", "login", 0, "tim", "tanstaaf",
	  "+OK\r\n-ERR\r\n+ VXNlcm5hbWU6\r\n+ UGFzc3dvcmQ6\r\n+OK\r\n",
	  "CAPA\r\nAUTH LOGIN\r\ndGlt\r\ndGFuc3RhYWY=\r\n", NULL, "LOGIN" },
	{ "LOGIN refused at once", "disable", "login", 0, NULL, NULL,
	  "+OK\r\n-ERR\r\n-ERR no LOGIN here\r\n",
	  "CAPA\r\nAUTH LOGIN\r\n", "login failed: -ERR no LOGIN here",
	  NULL },
	{ "XOAUTH2 with the token in password", "disable", "xoauth2", 0,
	  "someuser@example.com",
	  "ya29.vF9dft4qmTc2Nvb3RlckBhdHRhdmlzdGEuY29tCg",
	  "+OK\r\n-ERR\r\n+OK\r\n",
	  "CAPA\r\nAUTH XOAUTH2 dXNlcj1zb21ldXNlckBleGFtcGxlLmNvbQFhdXRoPUJl"
	  "YXJlciB5YTI5LnZGOWRmdDRxbVRjMk52YjNSbGNrQmhkSFJoZG1semRHRXVZMjl0"
	  "Q2cBAQ==\r\n", NULL, "XOAUTH2" },
	{ "XOAUTH2 refused: error JSON, empty answer, -ERR", "disable",
	  "xoauth2", 0, "u", "tok",
	  "+OK\r\n-ERR\r\n+ eyJzdGF0dXMiOiI0MDEifQ==\r\n-ERR auth failed\r\n",
	  "CAPA\r\nAUTH XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvawEB\r\n\r\n",
	  "login failed: -ERR auth failed", NULL },
	{ "any refuses clear text on a plain link", "disable", "any", 0,
	  NULL, NULL,
	  "+OK\r\n+OK\r\nSASL PLAIN LOGIN\r\nUSER\r\n.\r\n", "CAPA\r\n",
	  "refusing to send a clear-text password over an unencrypted "
	  "connection; set tls or auth", NULL },
	{ "any on tls = disable when STLS is offered", "disable", "any", 0,
	  NULL, NULL, "+OK\r\n+OK\r\nSTLS\r\nUSER\r\n.\r\n", "CAPA\r\n",
	  "refusing to send a clear-text password over an unencrypted "
	  "connection; the server offers STLS: set tls = detect or starttls",
	  NULL },
	{ "any refuses clear text to an old server", "disable", "any", 0,
	  NULL, NULL, "+OK\r\n-ERR\r\n", "CAPA\r\n",
	  "refusing to send a clear-text password over an unencrypted "
	  "connection; set tls or auth", NULL },
	{ "any picks APOP on a plain link", "disable", "any", 0,
	  "mrose", "tanstaaf",
	  "+OK <1896.697170952@dbc.mtview.ca.us>\r\n"
	  "+OK\r\nSASL PLAIN\r\nUSER\r\n.\r\n+OK\r\n",
	  "CAPA\r\nAPOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
	  NULL, "APOP" },
	{ "detect, auth = password, no STLS: nothing sent", "detect",
	  "password", 0, NULL, NULL,
	  "+OK\r\n+OK\r\nUSER\r\n.\r\n", "CAPA\r\n",
	  "server does not offer STLS" REFUSED("detect"), NULL },
	{ "starttls without STLS", "starttls", "any", 0, NULL, NULL,
	  "+OK\r\n+OK\r\nUSER\r\n.\r\n", "CAPA\r\n",
	  "server does not offer STLS" REFUSED("starttls"), NULL },
	{ "starttls without CAPA", "starttls", "any", 0, NULL, NULL,
	  "+OK\r\n-ERR\r\n", "CAPA\r\n",
	  "server does not offer STLS (no CAPA)" REFUSED("starttls"), NULL },
	{ "starttls refused", "starttls", "any", 0, NULL, NULL,
	  "+OK\r\n+OK\r\nSTLS\r\n.\r\n-ERR not now\r\n", "CAPA\r\nSTLS\r\n",
	  "STLS refused: -ERR not now" REFUSED("starttls"), NULL },
	/* detect never falls back: no hash (CRAM-MD5, APOP) in the clear */
	{ "detect without STLS, CRAM-MD5 and APOP offered: nothing sent",
	  "detect", "any", 0, "tim", "tanstaaftanstaaf",
	  "+OK <1896.697170952@dbc.mtview.ca.us>\r\n"
	  "+OK\r\nSASL CRAM-MD5\r\nUSER\r\n.\r\n", "CAPA\r\n",
	  "server does not offer STLS" REFUSED("detect"), NULL },
	{ "detect without CAPA (old server): nothing sent", "detect", "any",
	  0, NULL, NULL, "+OK <1.2@x>\r\n-ERR\r\n", "CAPA\r\n",
	  "server does not offer STLS (no CAPA)" REFUSED("detect"), NULL },
	{ "detect, STLS refused, CRAM-MD5 offered: nothing sent", "detect",
	  "any", 0, "tim", "tanstaaftanstaaf",
	  "+OK\r\n+OK\r\nSTLS\r\nSASL CRAM-MD5\r\n.\r\n-ERR no\r\n",
	  "CAPA\r\nSTLS\r\n", "STLS refused: -ERR no" REFUSED("detect"),
	  NULL },
	{ "detect, tls_seen false or true: the same", "detect", "any", 1,
	  NULL, NULL, "+OK\r\n+OK\r\nUSER\r\n.\r\n", "CAPA\r\n",
	  "server does not offer STLS" REFUSED("detect"), NULL },
	{ "detect on a plain port with auth = apop: nothing sent", "detect",
	  "apop", 0, "mrose", "tanstaaf",
	  "+OK <1896.697170952@dbc.mtview.ca.us>\r\n-ERR\r\n", "CAPA\r\n",
	  "server does not offer STLS (no CAPA)" REFUSED("detect"), NULL },
	{ "user name with CRLF cannot inject commands", "disable",
	  "password", 0, "u\r\nDELE 1", NULL, "+OK\r\n-ERR\r\n", "CAPA\r\n",
	  "POP3 command too long or malformed (user name or password?)",
	  NULL },
	{ "unknown tls mode", "sometimes", "any", 0, NULL, NULL, "", "",
	  "unknown tls mode: sometimes", NULL },
	{ "unknown auth", "disable", "kerberos", 0, NULL, NULL,
	  "+OK\r\n-ERR\r\n", "CAPA\r\n", "unknown auth method: kerberos",
	  NULL },
	{ "connection closed after the greeting", "disable", "password", 0,
	  NULL, NULL, "+OK\r\n", "CAPA\r\n", "connection closed by server",
	  NULL },
};

/* Each login transcript. */
static void
test_login(void)
{
	struct account		 account;
	struct driver_info	 info;
	struct peer		 peer;
	struct pop3		*p;
	char			*cause, *sent;
	size_t			 i;

	for (i = 0; i < sizeof(login_cases) / sizeof(login_cases[0]); i++) {
		peer_account(&account, "pop3", login_cases[i].tls,
		    login_cases[i].auth, login_cases[i].user,
		    login_cases[i].password);
		account.tls_seen = login_cases[i].tls_seen;
		memset(&info, 0, sizeof(info));
		cause = NULL;
		peer_start(&peer, login_cases[i].server, 0);
		p = pop3_open_transport(transport_fds(peer.fd, peer.fd, 5),
		    &account, 5, NULL, &info, &cause);
		if (login_cases[i].cause == NULL) {
			ok(p != NULL, "%s: logged in", login_cases[i].name);
			is_str(info.auth_method, login_cases[i].method,
			    "%s: method", login_cases[i].name);
		} else {
			ok(p == NULL, "%s: fails", login_cases[i].name);
			is_str(cause, login_cases[i].cause, "%s: cause",
			    login_cases[i].name);
		}
		pop3_close(p);
		sent = peer_finish(&peer);
		is_str(sent, login_cases[i].client, "%s: client lines",
		    login_cases[i].name);
		free(sent);
		free(cause);
	}
}

/* Capabilities as check shows them; XOAUTH2 token from token_command. */
static void
test_capabilities(void)
{
	const char		*token_argv[] = { "printf", "tok-%s", NULL };
	struct account		 account;
	struct driver_info	 info;
	struct peer		 peer;
	struct pop3		*p;
	char			*cause = NULL, *sent;

	peer_account(&account, "pop3", "disable", "xoauth2", "u", "not this");
	memset(&info, 0, sizeof(info));
	peer_start(&peer, "+OK\r\n+OK\r\nUSER\r\nPIPELINING\r\n"
	    "SASL PLAIN XOAUTH2\r\nIMPLEMENTATION test server\r\n.\r\n"
	    "+OK\r\n", 0);
	p = pop3_open_transport(transport_fds(peer.fd, peer.fd, 5), &account,
	    5, token_argv, &info, &cause);
	ok(p != NULL, "token_command: logged in");
	is_str(info.capabilities, "USER PIPELINING SASL PLAIN XOAUTH2 "
	    "IMPLEMENTATION test server", "capabilities joined");
	is_int(info.pipelining, 1, "pipelining noted");
	is_int(info.tls, 0, "no TLS");
	pop3_close(p);
	sent = peer_finish(&peer);
	/* base64("user=u\1auth=Bearer tok-acct\1\1") */
	is_str(sent, "CAPA\r\nAUTH XOAUTH2 dXNlcj11AWF1dGg9QmVhcmVyIHRvay1hY2"
	    "N0AQE=\r\n", "token_command output used as the bearer token");
	free(sent);
	free(cause);
}

/* Server lines up to a login: without and with PIPELINING. */
#define LOGIN_PLAIN	"+OK\r\n-ERR\r\n+OK\r\n+OK\r\n"
#define LOGIN_PLAIN_C	"CAPA\r\nUSER u\r\nPASS p\r\n"
#define LOGIN_PIPE	"+OK\r\n+OK\r\nPIPELINING\r\n.\r\n+OK\r\n+OK\r\n"
#define LOGIN_PIPE_C	LOGIN_PLAIN_C

/* Log in over the peer's connection. */
static struct pop3 *
session_open(struct peer *peer, int timeout)
{
	struct account		 account;
	struct driver_info	 info;
	struct pop3		*p;
	char			*cause = NULL;

	peer_account(&account, "pop3", "disable", "password", NULL, NULL);
	memset(&info, 0, sizeof(info));
	p = pop3_open_transport(transport_fds(peer->fd, peer->fd, timeout),
	    &account, timeout, NULL, &info, &cause);
	if (p == NULL)
		diag("session: %s", cause);
	free(cause);
	return p;
}

/* Start a logged-in session over a server that says script. */
static struct pop3 *
session_big(struct peer *peer, const char *script, size_t len, int hang,
    int timeout)
{
	peer_start_big(peer, script, len, NULL, 0, 0, NULL, hang);
	return session_open(peer, timeout);
}

/* UIDL + LIST listings, good and malformed. */
static const struct {
	const char	*name;
	const char	*server;	/* after the login */
	int		 pipelining;
	const char	*want;		/* "n uid size;..." or NULL */
	const char	*cause;
	int		 list_sent;	/* the client got as far as LIST */
} list_cases[] = {
	{ "two messages", "+OK\r\n1 abc\r\n2 def\r\n.\r\n"
	  "+OK 2 messages\r\n1 100\r\n2 200\r\n.\r\n", 0,
	  "1 abc 100;2 def 200;", NULL, 1 },
	{ "pipelined, out of order", "+OK\r\n2 def\r\n1 abc\r\n.\r\n"
	  "+OK\r\n2 200 extra info\r\n1 100\r\n.\r\n", 1,
	  "1 abc 100;2 def 200;", NULL, 1 },
	{ "empty mailbox", "+OK\r\n.\r\n+OK\r\n.\r\n", 1, "", NULL, 1 },
	{ "70-character UID", "+OK\r\n1 "
	  "0123456789012345678901234567890123456789012345678901234567890123456789"
	  "\r\n.\r\n+OK\r\n1 5\r\n.\r\n", 0,
	  "1 0123456789012345678901234567890123456789012345678901234567890123"
	  "456789 5;", NULL, 1 },
	{ "UID of 71 characters", "+OK\r\n1 "
	  "01234567890123456789012345678901234567890123456789012345678901234567890"
	  "\r\n.\r\n", 0, NULL, "malformed UIDL line: \"1 0123456789012345678"
	  "90123456789012345678901234567...\"", 0 },
	{ "UIDL line without UID", "+OK\r\n1\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"1\"", 0 },
	{ "UIDL number 0", "+OK\r\n0 abc\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"0 abc\"", 0 },
	{ "UIDL number not a number", "+OK\r\n-1 abc\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"-1 abc\"", 0 },
	{ "UIDL number too big", "+OK\r\n99999999999 abc\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"99999999999 abc\"", 0 },
	{ "UID with a space", "+OK\r\n1 a b\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"1 a b\"", 0 },
	{ "UID with DEL", "+OK\r\n1 a\177\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"1 a?\"", 0 },
	{ "UIDL line with NUL", "+OK\r\n1 a\0b\r\n.\r\n", 0, NULL,
	  "malformed UIDL line: \"1 a?b\"", 0 },
	{ "duplicate UID", "+OK\r\n1 abc\r\n2 abc\r\n.\r\n", 0, NULL,
	  "UIDL gives messages 1 and 2 the same UID abc", 0 },
	{ "duplicate number", "+OK\r\n1 abc\r\n1 def\r\n.\r\n", 0, NULL,
	  "UIDL lists message 1 twice", 0 },
	{ "LIST size not a number", "+OK\r\n1 abc\r\n.\r\n+OK\r\n1 big\r\n"
	  ".\r\n", 0, NULL, "malformed LIST line: \"1 big\"", 1 },
	{ "LIST misses a message", "+OK\r\n1 abc\r\n2 def\r\n.\r\n"
	  "+OK\r\n1 100\r\n.\r\n", 0, NULL,
	  "LIST and UIDL disagree: a message is missing from LIST", 1 },
	{ "LIST has an extra message", "+OK\r\n1 abc\r\n.\r\n"
	  "+OK\r\n1 100\r\n2 200\r\n.\r\n", 0, NULL,
	  "LIST and UIDL disagree at \"2 200\"", 1 },
	{ "UIDL refused", "-ERR no UIDL here\r\n", 0, NULL,
	  "UIDL refused (the server must support UIDL): -ERR no UIDL here", 0 },
	{ "UIDL refused, pipelined LIST read", "-ERR no UIDL\r\n"
	  "+OK\r\n1 100\r\n.\r\n", 1, NULL,
	  "UIDL refused (the server must support UIDL): -ERR no UIDL", 1 },
	{ "LIST refused", "+OK\r\n.\r\n-ERR no\r\n", 0, NULL, "LIST: -ERR no", 1 },
	{ "listing cut off", "+OK\r\n1 abc\r\n", 0, NULL,
	  "connection closed by server", 0 },
};

/* Each listing. */
static void
test_list(void)
{
	struct driver_message	*list;
	struct buffer		 script, got;
	struct peer		 peer;
	struct pop3		*p;
	const char		*want;
	char			*cause, *sent, line[128];
	size_t			 i, j, count;
	int			 rc, quit;

	for (i = 0; i < sizeof(list_cases) / sizeof(list_cases[0]); i++) {
		memset(&script, 0, sizeof(script));
		memset(&got, 0, sizeof(got));
		buffer_add(&got, "", 0);
		if (list_cases[i].pipelining)
			buffer_add(&script, LOGIN_PIPE, strlen(LOGIN_PIPE));
		else
			buffer_add(&script, LOGIN_PLAIN, strlen(LOGIN_PLAIN));
		/* The NUL case: count the bytes by hand. */
		if (strcmp(list_cases[i].name, "UIDL line with NUL") == 0)
			buffer_add(&script, "+OK\r\n1 a\0b\r\n.\r\n", 15);
		else
			buffer_add(&script, list_cases[i].server,
			    strlen(list_cases[i].server));
		cause = NULL;
		p = session_big(&peer, script.data, script.len, 0, 5);
		rc = p == NULL ? -1 : pop3_list(p, &list, &count, &cause);
		if (rc == 0) {
			for (j = 0; j < count; j++) {
				snprintf(line, sizeof(line), "%llu %s %llu;",
				    list[j].handle, list[j].uid, list[j].size);
				buffer_add(&got, line, strlen(line));
			}
			free(list);
		}
		if (list_cases[i].want != NULL)
			is_str(rc == 0 ? got.data : cause, list_cases[i].want,
			    "list: %s", list_cases[i].name);
		else
			is_str(cause, list_cases[i].cause, "list: %s: cause",
			    list_cases[i].name);
		quit = strcmp(list_cases[i].name,
		    "UIDL refused, pipelined LIST read") == 0;
		if (quit) {
			free(cause);
			cause = NULL;
			ok(pop3_quit(p, &cause) == -1 && strcmp(cause,
			    "connection closed by server") == 0,
			    "list: session still in step after UIDL -ERR");
		}
		pop3_close(p);
		sent = peer_finish(&peer);
		if (quit)
			want = LOGIN_PLAIN_C "UIDL\r\nLIST\r\nQUIT\r\n";
		else if (list_cases[i].list_sent)
			want = LOGIN_PLAIN_C "UIDL\r\nLIST\r\n";
		else
			want = LOGIN_PLAIN_C "UIDL\r\n";
		is_str(sent, want, "list: %s: client lines",
		    list_cases[i].name);
		free(sent);
		free(cause);
		free(script.data);
		free(got.data);
	}
}

#define BYTES(s)	s, sizeof(s) - 1

/* RETR transcripts, messages numbered 1..count at indexes 0..count-1. */
static const struct {
	const char	*name;
	int		 pipelining;
	int		 refuse;
	int		 stop;
	size_t		 count;
	const char	*server;	/* after the login */
	size_t		 serverlen;
	const char	*want;		/* what the sink saw */
	size_t		 wantlen;
	int		 rc;
	const char	*cause;
} retr_cases[] = {
	{ "dot-unstuffing, CRLF stripped", 0, 0, 0, 1,
	  BYTES("+OK 30 octets\r\nSubject: x\r\n\r\n..dot\r\n.x\r\n"
	  "end\r\n.\r\n"),
	  BYTES("B0|Subject: x\n\n.dot\nx\nend\n|E0:1\n"), 0, NULL },
	{ "LF-only lines and a bare CR", 0, 0, 0, 1,
	  BYTES("+OK\nA: b\n\na\rb\n.\n"), BYTES("B0|A: b\n\na\rb\n|E0:1\n"),
	  0, NULL },
	{ "NUL bytes", 0, 0, 0, 1, BYTES("+OK\r\na\0b\r\n\0\r\n.\r\n"),
	  BYTES("B0|a\0b\n\0\n|E0:1\n"), 0, NULL },
	{ "empty message", 0, 0, 0, 1, BYTES("+OK\r\n.\r\n"),
	  BYTES("B0||E0:1\n"), 0, NULL },
	{ "a line of dots", 0, 0, 0, 1, BYTES("+OK\r\n...\r\n. \r\n.\r\n"),
	  BYTES("B0|..\n \n|E0:1\n"), 0, NULL },
	{ "-ERR for one RETR, the next goes on", 0, 0, 0, 2,
	  BYTES("-ERR no such message\r\n+OK\r\nx\r\n.\r\n"),
	  BYTES("B0||E0:0:-ERR no such message\nB1|x\n|E1:1\n"), 0, NULL },
	{ "pipelined RETR", 1, 0, 0, 3,
	  BYTES("+OK\r\na\r\n.\r\n+OK\r\nb\r\n.\r\n+OK\r\nc\r\n.\r\n"),
	  BYTES("B0|a\n|E0:1\nB1|b\n|E1:1\nB2|c\n|E2:1\n"), 0, NULL },
	{ "pipelined RETR, -ERR in the middle", 1, 0, 0, 3,
	  BYTES("+OK\r\na\r\n.\r\n-ERR gone\r\n+OK\r\nc\r\n.\r\n"),
	  BYTES("B0|a\n|E0:1\nB1||E1:0:-ERR gone\nB2|c\n|E2:1\n"), 0, NULL },
	{ "the sink refuses: drained, the next goes on", 0, 1, 0, 2,
	  BYTES("+OK\r\na\r\nb\r\n.\r\n+OK\r\nc\r\n.\r\n"),
	  BYTES("B0||E0:1\nB1|c\n|E1:1\n"), 0, NULL },
	{ "no final dot: dropped mid-message", 0, 0, 0, 2,
	  BYTES("+OK\r\nabc\r\n"), BYTES("B0|abc\n|E0:0\n"), -1,
	  "connection closed by server" },
	{ "dropped before the reply", 0, 0, 0, 1, BYTES(""), BYTES(""), -1,
	  "connection closed by server" },
	{ "garbage instead of a reply", 0, 0, 0, 1, BYTES("hello\r\n"),
	  BYTES(""), -1, "unexpected reply from server: hello" },
	{ "the sink says stop: pipelined replies drained", 1, 0, 1, 3,
	  BYTES("+OK\r\na\r\n.\r\n+OK\r\nb\r\n.\r\n-ERR gone\r\n"
	  "+OK bye\r\n"), BYTES("B0|a\n|E0:1\n"), 0, NULL },
};

/* Client lines for count RETRs. */
static void
retr_client(struct buffer *b, size_t count)
{
	char	 line[32];
	size_t	 i;

	buffer_add(b, LOGIN_PLAIN_C, strlen(LOGIN_PLAIN_C));
	for (i = 0; i < count; i++) {
		snprintf(line, sizeof(line), "RETR %zu\r\n", i + 1);
		buffer_add(b, line, strlen(line));
	}
}

/* Each RETR transcript. */
static void
test_retrieve(void)
{
	struct driver_message	 list[4];
	struct record		 record;
	struct buffer		 script, want;
	struct peer		 peer;
	struct pop3		*p;
	size_t			 indexes[4], i, j;
	char			*cause, *sent, name[128];
	int			 rc;

	for (j = 0; j < 4; j++) {
		memset(&list[j], 0, sizeof(list[j]));
		list[j].handle = j + 1;
		indexes[j] = j;
	}
	for (i = 0; i < sizeof(retr_cases) / sizeof(retr_cases[0]); i++) {
		memset(&script, 0, sizeof(script));
		memset(&want, 0, sizeof(want));
		memset(&record, 0, sizeof(record));
		buffer_add(&record.b, "", 0);
		record.refuse = retr_cases[i].refuse;
		record.stop = retr_cases[i].stop;
		if (retr_cases[i].pipelining)
			buffer_add(&script, LOGIN_PIPE, strlen(LOGIN_PIPE));
		else
			buffer_add(&script, LOGIN_PLAIN, strlen(LOGIN_PLAIN));
		buffer_add(&script, retr_cases[i].server,
		    retr_cases[i].serverlen);
		cause = NULL;
		p = session_big(&peer, script.data, script.len, 0, 5);
		rc = pop3_retrieve(p, list, indexes, retr_cases[i].count,
		    &record_sink, &record, &cause);
		is_int(rc, retr_cases[i].rc, "retr: %s: result",
		    retr_cases[i].name);
		is_str(cause, retr_cases[i].cause, "retr: %s: cause",
		    retr_cases[i].name);
		snprintf(name, sizeof(name), "retr: %s", retr_cases[i].name);
		record_is(&record, retr_cases[i].want, retr_cases[i].wantlen,
		    name);
		if (record.stop)
			ok(pop3_quit(p, &cause) == 0,
			    "retr: %s: still in step", retr_cases[i].name);
		pop3_close(p);
		sent = peer_finish(&peer);
		retr_client(&want, retr_cases[i].rc == 0 ||
		    retr_cases[i].pipelining ? retr_cases[i].count : 1);
		if (record.stop)
			buffer_add(&want, "QUIT\r\n", 6);
		is_str(sent, want.data, "retr: %s: client lines",
		    retr_cases[i].name);
		free(sent);
		free(cause);
		free(script.data);
		free(want.data);
		free(record.b.data);
	}
}

/*
 * RETR 1 of a message listed with size octets that is a 10 MB line, then
 * a short one, into record: pop3_retrieve's result, its cause in *cause,
 * what the client sent in *sent.
 */
static int
huge_retrieve(unsigned long long size, struct record *record, char **cause,
    char **sent)
{
	struct driver_message	 list[1];
	struct peer		 peer;
	struct pop3		*p;
	size_t			 index = 0;
	char			*chunk;
	int			 rc;

	memset(list, 0, sizeof(list));
	list[0].handle = 1;
	list[0].size = size;
	memset(record, 0, sizeof(*record));
	record->count_only = 1;
	chunk = xmalloc(65536);
	memset(chunk, 'a', 65536);
	chunk[65535] = '\r';		/* a bare CR at a buffer edge */
	peer_start_big(&peer, BYTES(LOGIN_PLAIN "+OK\r\n"), chunk, 65536,
	    160, "\r\n..short line\r\n.\r\n", 0);
	free(chunk);
	p = session_open(&peer, 5);
	rc = pop3_retrieve(p, list, &index, 1, &record_sink, record, cause);
	pop3_close(p);
	*sent = peer_finish(&peer);
	return rc;
}

/* A 10 MB line streams through in pieces, never held whole; listed as
 * 1000 octets, it is given up soon. */
static void
test_huge(void)
{
	struct record		 record;
	char			*cause = NULL, *sent;

	is_int(huge_retrieve(65536 * 160 + 15, &record, &cause, &sent), 0,
	    "huge line: retrieved");
	is_int(record.bytes, 65536 * 160 + 11, "huge line: every byte fed, "
	    "the last CR dropped with its LF");
	is_int(record.lines, 2, "huge line: two lines");
	ok(record.pieces > 100, "huge line: in pieces (%zu)", record.pieces);
	is_str(record.b.data, "B0||E0:1\n", "huge line: complete");
	is_str(sent, LOGIN_PLAIN_C "RETR 1\r\n", "huge line: client lines");
	free(sent);
	free(cause);
	free(record.b.data);

	cause = NULL;
	is_int(huge_retrieve(1000, &record, &cause, &sent), -1,
	    "listed as 1000 octets: given up");
	is_str(cause, "RETR 1: the server sent far more than the 1000 octets "
	    "it listed", "listed as 1000 octets: the cause says so");
	ok(record.bytes <= 2 * 1000 + 2 * 65536, "listed as 1000 octets: "
	    "%zu fed, not 10 MB", (size_t)record.bytes);
	is_str(record.b.data, "B0||E0:0\n", "listed as 1000 octets: the "
	    "message ends incomplete");
	free(sent);
	free(cause);
	free(record.b.data);
}

/* A server that stops talking, or never ends a status line. */
static void
test_timeouts(void)
{
	struct driver_message	 list[1];
	struct record		 record;
	struct account		 account;
	struct driver_info	 info;
	struct peer		 peer;
	struct pop3		*p;
	size_t			 index = 0;
	char			*cause = NULL, *sent, *chunk;

	memset(list, 0, sizeof(list));
	list[0].handle = 1;
	memset(&record, 0, sizeof(record));
	buffer_add(&record.b, "", 0);
	p = session_big(&peer, BYTES(LOGIN_PLAIN "+OK\r\nabc\r\n"), 1, 1);
	is_int(pop3_retrieve(p, list, &index, 1, &record_sink, &record,
	    &cause), -1, "stalled RETR: fails");
	is_str(cause, "timeout while reading from server",
	    "stalled RETR: cause");
	is_str(record.b.data, "B0|abc\n|E0:0\n", "stalled RETR: incomplete");
	free(cause);
	cause = NULL;
	ok(pop3_quit(p, &cause) == -1 && strcmp(cause, "POP3 session "
	    "unusable: connection failed") == 0,
	    "stalled RETR: the session refuses more commands");
	pop3_close(p);
	free(peer_finish(&peer));
	free(cause);
	free(record.b.data);

	/* An endless greeting: a clean error, not memory growth. */
	chunk = xmalloc(65536);
	memset(chunk, 'x', 65536);
	memcpy(chunk, "+OK ", 4);
	peer_start_big(&peer, "", 0, chunk, 65536, 40, NULL, 1);
	free(chunk);
	peer_account(&account, "pop3", "disable", "password", NULL, NULL);
	memset(&info, 0, sizeof(info));
	cause = NULL;
	p = pop3_open_transport(transport_fds(peer.fd, peer.fd, 5), &account,
	    5, NULL, &info, &cause);
	ok(p == NULL && cause != NULL && strncmp(cause, "reply line too "
	    "long: +OK xxx", 22) == 0, "endless status line: %s", cause);
	sent = peer_finish(&peer);
	is_str(sent, "", "endless status line: client said nothing");
	free(sent);
	free(cause);

	/* A silent server. */
	peer_start(&peer, "", 1);
	cause = NULL;
	p = pop3_open_transport(transport_fds(peer.fd, peer.fd, 1), &account,
	    1, NULL, &info, &cause);
	ok(p == NULL, "silent server: fails");
	is_str(cause, "timeout while reading from server",
	    "silent server: cause");
	free(peer_finish(&peer));
	free(cause);
}

/* STAT, pipelined DELE, QUIT. */
static void
test_stat_delete_quit(void)
{
	const struct driver_message list[] = {
		{ "a", 10, 1, 0 }, { "b", 10, 3, 0 }, { "c", 10, 4, 0 }
	};
	const size_t	 indexes[] = { 0, 1, 2 };
	char		*refused[3] = { NULL, NULL, NULL };
	struct peer	 peer;
	struct pop3	*p;
	unsigned	 count = 0;
	unsigned long long size = 0;
	char		*cause = NULL, *sent;

	p = session_big(&peer, BYTES(LOGIN_PIPE "+OK 2 320\r\n+OK\r\n"
	    "-ERR no such message\r\n+OK\r\n+OK bye\r\n"), 0, 5);
	ok(pop3_stat(p, &count, &size, &cause) == 0 && count == 2 &&
	    size == 320, "STAT: 2 messages, 320 octets");
	ok(pop3_delete(p, list, indexes, 3, refused, &cause) == 0,
	    "DELE: a refused DELE does not stop the others");
	ok(refused[0] == NULL && refused[2] == NULL,
	    "DELE: the others are not refused");
	is_str(refused[1], "-ERR no such message", "DELE: the refused one, "
	    "with its reply");
	free(refused[1]);
	ok(pop3_quit(p, &cause) == 0, "QUIT after a refused DELE");
	ok(pop3_stat(p, &count, &size, &cause) == -1, "no STAT after QUIT");
	is_str(cause, "POP3 session unusable: session ended with QUIT",
	    "no STAT after QUIT: cause");
	pop3_close(p);
	sent = peer_finish(&peer);
	is_str(sent, LOGIN_PIPE_C "STAT\r\nDELE 1\r\nDELE 3\r\nDELE 4\r\n"
	    "QUIT\r\n", "STAT, DELE, QUIT: client lines");
	free(sent);
	free(cause);
	cause = NULL;

	p = session_big(&peer, BYTES(LOGIN_PLAIN "+OK\r\n-ERR some deleted "
	    "messages not removed\r\n"), 0, 5);
	ok(pop3_stat(p, &count, &size, &cause) == -1, "STAT: malformed");
	is_str(cause, "malformed STAT reply: +OK", "STAT: malformed: cause");
	free(cause);
	cause = NULL;
	ok(pop3_quit(p, &cause) == -1, "QUIT -ERR: fails");
	is_str(cause, "QUIT: -ERR some deleted messages not removed",
	    "QUIT -ERR: cause");
	pop3_close(p);
	free(peer_finish(&peer));
	free(cause);
}

int
main(void)
{
	signal(SIGPIPE, SIG_IGN);
	test_login();
	test_capabilities();
	test_list();
	test_retrieve();
	test_huge();
	test_timeouts();
	test_stat_delete_quit();
	return done_testing();
}
