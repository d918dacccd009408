/*
 * Unit tests for fetcher/etrn.c and the SMTP reply reader (smtp.c):
 * scripted server transcripts over a socketpair, as in fetcher_pop3.c.
 * The child plays the provider's SMTP server: it sends the whole script
 * (SMTP without PIPELINING is strict request/response, so the client
 * reads the replies in order), then hands back every byte the client
 * sent, which is compared with the exact lines expected.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/account.h"
#include "../../fetcher/driver.h"
#include "../../fetcher/etrn.h"
#include "../../fetcher/transport.h"
#include "peer.h"
#include "tap.h"
#include "xmalloc.h"

#define HELLO	"EHLO client.example\r\n"
#define ETRN	"ETRN example.net\r\n"
#define QUIT	"QUIT\r\n"
/* The end of the cause of a session refused before it went plain. */
#define REFUSED(tls)	": plain text refused (tls = " tls "); set tls = " \
			"'disable' to allow it"

/* Transcripts: what the server says, what the client must say. */
static const struct {
	const char	*name;
	const char	*tls;
	int		 tls_seen;
	const char	*domain;
	const char	*server;
	const char	*client;
	const char	*reply;		/* success: the ETRN reply */
	const char	*cause;		/* failure */
	const char	*capabilities;
} cases[] = {
	{ "accepted (250)", "disable", 0, NULL,
	  "220 mx.provider.example ESMTP\r\n250-mx.provider.example\r\n"
	  "250-PIPELINING\r\n250-ETRN\r\n250 8BITMIME\r\n"
	  "250 Queuing started\r\n221 2.0.0 Bye\r\n",
	  HELLO ETRN QUIT, "250 Queuing started", NULL,
	  "PIPELINING ETRN 8BITMIME" },
	{ "multi-line greeting, bare LF", "disable", 0, NULL,
	  "220-mx.provider.example ESMTP\n220-no UCE\n220 welcome\n"
	  "250 mx\n251 OK, no messages waiting for node example.net\n221\n",
	  HELLO ETRN QUIT,
	  "251 OK, no messages waiting for node example.net", NULL, "" },
	{ "pending messages (252)", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n252 OK, pending messages for node "
	  "example.net started\r\n221\r\n", HELLO ETRN QUIT,
	  "252 OK, pending messages for node example.net started", NULL,
	  "" },
	{ "messages queued (253)", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n253 OK, 14 pending messages for node "
	  "example.net started\r\n221\r\n", HELLO ETRN QUIT,
	  "253 OK, 14 pending messages for node example.net started", NULL,
	  "" },
	{ "unable to queue (458)", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n458 Unable to queue messages for node "
	  "example.net\r\n221\r\n", HELLO ETRN QUIT, NULL,
	  "ETRN example.net: 458 Unable to queue messages for node "
	  "example.net", NULL },
	{ "node not allowed (459)", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n459 Node example.net not allowed: "
	  "unable to resolve\r\n221\r\n", HELLO ETRN QUIT, NULL,
	  "ETRN example.net: 459 Node example.net not allowed: unable to "
	  "resolve", NULL },
	{ "Postfix refuses the domain (554)", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n554 5.7.1 <example.net>: Etrn command "
	  "rejected: Access denied\r\n221\r\n", HELLO ETRN QUIT, NULL,
	  "ETRN example.net: 554 5.7.1 <example.net>: Etrn command "
	  "rejected: Access denied", NULL },
	{ "ETRN unknown (502), multi-line", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n502-5.5.2 Error:\r\n502 5.5.2 command not "
	  "recognized\r\n221\r\n", HELLO ETRN QUIT, NULL,
	  "ETRN example.net: 502 5.5.2 command not recognized", NULL },
	{ "a reply shown safely", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n458 \033[2J\001bye\r\n221\r\n",
	  HELLO ETRN QUIT, NULL, "ETRN example.net: 458 ?[2J?bye", NULL },
	{ "HELO when EHLO is refused", "disable", 0, NULL,
	  "220 mx\r\n502 5.5.2 no EHLO here\r\n250 mx\r\n250 Queuing "
	  "started\r\n221\r\n",
	  HELLO "HELO client.example\r\n" ETRN QUIT, "250 Queuing started",
	  NULL, "" },
	{ "EHLO and HELO refused", "disable", 0, NULL,
	  "220 mx\r\n500 what\r\n501 go away\r\n221\r\n",
	  HELLO "HELO client.example\r\n" QUIT, NULL,
	  "EHLO and HELO refused: 501 go away", NULL },
	{ "EHLO refused with 421: no HELO", "disable", 0, NULL,
	  "220 mx\r\n421 4.3.2 shutting down\r\n",
	  HELLO QUIT, NULL, "EHLO refused: 421 4.3.2 shutting down", NULL },
	{ "greeting 554", "disable", 0, NULL,
	  "554 5.3.2 no service for you\r\n221\r\n", QUIT, NULL,
	  "greeting: 554 5.3.2 no service for you", NULL },
	{ "starttls: not offered", "starttls", 0, NULL,
	  "220 mx\r\n250-mx\r\n250 ETRN\r\n221\r\n", HELLO QUIT, NULL,
	  "server does not offer STARTTLS" REFUSED("starttls"), "ETRN" },
	{ "starttls: refused", "starttls", 0, NULL,
	  "220 mx\r\n250-mx\r\n250 STARTTLS\r\n454 4.7.0 TLS not "
	  "available due to local problem\r\n221\r\n",
	  HELLO "STARTTLS\r\n" QUIT, NULL,
	  "STARTTLS refused: 454 4.7.0 TLS not available due to local "
	  "problem" REFUSED("starttls"), "STARTTLS" },
	{ "starttls: EHLO refused, HELO", "starttls", 0, NULL,
	  "220 mx\r\n502 no\r\n250 mx\r\n221\r\n",
	  HELLO "HELO client.example\r\n" QUIT, NULL,
	  "EHLO refused, so no STARTTLS" REFUSED("starttls"), "" },
	{ "disable: STARTTLS offered, not used", "disable", 0, NULL,
	  "220 mx\r\n250-mx\r\n250 STARTTLS\r\n250 Queuing started\r\n"
	  "221\r\n", HELLO ETRN QUIT, "250 Queuing started", NULL,
	  "STARTTLS" },
	/* detect is TLS or nothing, as for POP3 and IMAP */
	{ "detect: not offered: no ETRN", "detect", 0, NULL,
	  "220 mx\r\n250 mx\r\n221\r\n", HELLO QUIT, NULL,
	  "server does not offer STARTTLS" REFUSED("detect"), "" },
	{ "detect: refused: no ETRN", "detect", 0, NULL,
	  "220 mx\r\n250-mx\r\n250 starttls\r\n454 not now\r\n221\r\n",
	  HELLO "STARTTLS\r\n" QUIT, NULL,
	  "STARTTLS refused: 454 not now" REFUSED("detect"), "starttls" },
	{ "detect: EHLO refused, HELO: no ETRN", "detect", 0, NULL,
	  "220 mx\r\n502 no\r\n250 mx\r\n221\r\n",
	  HELLO "HELO client.example\r\n" QUIT, NULL,
	  "EHLO refused, so no STARTTLS" REFUSED("detect"), "" },
	{ "detect, tls_seen false or true: the same", "detect", 1, NULL,
	  "220 mx\r\n250 mx\r\n221\r\n", HELLO QUIT, NULL,
	  "server does not offer STARTTLS" REFUSED("detect"), "" },
	{ "malformed reply", "disable", 0, NULL,
	  "220 mx\r\nHELLO there\r\n", HELLO, NULL,
	  "EHLO: malformed reply: HELLO there", NULL },
	{ "reply code 199", "disable", 0, NULL,
	  "220 mx\r\n199 what\r\n", HELLO, NULL,
	  "EHLO: malformed reply: 199 what", NULL },
	{ "no separator after the code", "disable", 0, NULL,
	  "220 mx\r\n250mx\r\n", HELLO, NULL,
	  "EHLO: malformed reply: 250mx", NULL },
	{ "codes differ inside a reply", "disable", 0, NULL,
	  "220-mx\r\n250 mx\r\n", "", NULL,
	  "greeting: malformed reply: code 250 after 220: 250 mx", NULL },
	{ "connection dropped before the greeting", "disable", 0, NULL,
	  "", "", NULL, "greeting: connection closed by server", NULL },
	{ "connection dropped inside a reply", "disable", 0, NULL,
	  "220 mx\r\n250-mx\r\n250-ETRN\r\n", HELLO, NULL,
	  "EHLO: connection closed by server", NULL },
	{ "connection dropped before the ETRN reply", "disable", 0, NULL,
	  "220 mx\r\n250 mx\r\n", HELLO ETRN, NULL,
	  "ETRN example.net: connection closed by server", NULL },
	{ "unknown tls mode", "sometimes", 0, NULL, "220 mx\r\n", "", NULL,
	  "unknown tls mode: sometimes", NULL },
	{ "a domain with a space", "disable", 0, "example.net QUIT",
	  "220 mx\r\n", "", NULL, "domain example.net QUIT cannot be sent "
	  "with ETRN (a host name in ASCII is needed)", NULL },
	{ "a domain with CR LF", "disable", 0, "example.net\r\nRSET",
	  "220 mx\r\n", "", NULL, "domain example.net\r\nRSET cannot be "
	  "sent with ETRN (a host name in ASCII is needed)", NULL },
};

/* An account for the scripted server. */
static void
account_init(struct account *a, const char *tls, int tls_seen,
    const char *domain)
{
	memset(a, 0, sizeof(*a));
	a->name = (char *)"etrnacct";
	a->protocol = (char *)"etrn";
	a->host = (char *)"mx.provider.example";
	a->tls = (char *)tls;
	a->tls_verify = 1;
	a->tls_seen = tls_seen;
	a->domain = (char *)(domain != NULL ? domain : "example.net");
}

/* Run one session against script; the client's bytes into *sent. */
static int
session(const char *script, size_t len, int hang, int timeout,
    const struct account *account, struct driver_info *info, char **reply,
    char **cause, char **sent)
{
	struct peer	 peer;
	int		 rc;

	memset(info, 0, sizeof(*info));
	*cause = NULL;
	peer_start_big(&peer, script, len, NULL, 0, 0, NULL, hang);
	rc = etrn_flush_transport(transport_fds(peer.fd, peer.fd, timeout),
	    account, "client.example", info, reply, cause);
	*sent = peer_finish(&peer);
	return rc;
}

/* Each transcript. */
static void
test_transcripts(void)
{
	struct account		 account;
	struct driver_info	 info;
	char			*reply, *cause, *sent;
	size_t			 i;
	int			 rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		account_init(&account, cases[i].tls, cases[i].tls_seen,
		    cases[i].domain);
		rc = session(cases[i].server, strlen(cases[i].server), 0, 5,
		    &account, &info, &reply, &cause, &sent);
		if (cases[i].reply != NULL) {
			is_int(rc, 0, "%s: accepted", cases[i].name);
			is_str(reply, cases[i].reply, "%s: reply",
			    cases[i].name);
		} else {
			is_int(rc, -1, "%s: fails", cases[i].name);
			is_str(cause, cases[i].cause, "%s: cause",
			    cases[i].name);
			ok(reply == NULL, "%s: no reply", cases[i].name);
		}
		if (cases[i].capabilities != NULL)
			is_str(info.capabilities, cases[i].capabilities,
			    "%s: capabilities", cases[i].name);
		is_str(sent, cases[i].client, "%s: client lines",
		    cases[i].name);
		free(sent);
		free(reply);
		free(cause);
	}
}

/*
 * Run the script head, repeat times line, then tail against a plain
 * account; its cause and the client's bytes come back (caller frees).
 */
static int
bounded(const char *head, size_t headlen, const char *line, size_t linelen,
    int repeat, const char *tail, struct driver_info *info, char **cause,
    char **sent)
{
	struct account	 account;
	struct buffer	 script;
	char		*reply = NULL;
	int		 i, rc;

	account_init(&account, "disable", 0, NULL);
	memset(&script, 0, sizeof(script));
	buffer_add(&script, head, headlen);
	for (i = 0; i < repeat; i++)
		buffer_add(&script, line, linelen);
	buffer_add(&script, tail, strlen(tail));
	rc = session(script.data, script.len, 0, 5, &account, info, &reply,
	    cause, sent);
	free(script.data);
	free(reply);
	return rc;
}

/* Line and reply bounds of the reader: 512 octets, 100 lines. */
static void
test_bounds(void)
{
	struct driver_info	 info;
	char			*cause, *sent, line[1024];
	int			 rc;

	memset(line, 'x', sizeof(line));
	memcpy(line, "220 ", 4);

	/* 510 octets and CR LF: the longest line there may be */
	rc = bounded(line, 510, NULL, 0, 0, "\r\n250 mx\r\n250 ok\r\n221\r\n",
	    &info, &cause, &sent);
	is_int(rc, 0, "a line of 512 octets with CR LF is read");
	is_str(sent, HELLO ETRN QUIT, "  and the session goes on");
	free(sent);
	free(cause);

	rc = bounded(line, 511, NULL, 0, 0, "\r\n", &info, &cause, &sent);
	is_int(rc, -1, "a line of 513 octets is refused");
	ok(cause != NULL && strncmp(cause, "greeting: reply line too long: "
	    "220 xxx", 37) == 0 && strlen(cause) < 300,
	    "  with a short cause: %.60s", cause != NULL ? cause : "");
	is_str(sent, "", "  and nothing is sent");
	free(sent);
	free(cause);

	rc = bounded("220 ", 4, line + 4, 1000, 100, "\r\n", &info, &cause,
	    &sent);
	is_int(rc, -1, "a 100 kB line (more than the transport's buffer) is "
	    "refused");
	ok(cause != NULL && strncmp(cause, "greeting: reply line too long: ",
	    31) == 0 && strlen(cause) < 300, "  with a short cause");
	free(sent);
	free(cause);

	rc = bounded("220 mx\r\n", 8, "250-X-EXTENSION\r\n", 17, 99,
	    "250 LAST\r\n250 ok\r\n221\r\n", &info, &cause, &sent);
	is_int(rc, 0, "an EHLO reply of 100 lines is read");
	ok(strlen(info.capabilities) > 400 &&
	    strlen(info.capabilities) < sizeof(info.capabilities),
	    "  its keywords kept within their buffer");
	free(sent);
	free(cause);

	rc = bounded("220 mx\r\n", 8, "250-X-EXTENSION\r\n", 17, 150,
	    "250 LAST\r\n", &info, &cause, &sent);
	is_int(rc, -1, "an EHLO reply of 151 lines is refused at the 101st");
	is_str(cause, "EHLO: reply of more than 100 lines: 250-X-EXTENSION",
	    "  and says so");
	is_str(sent, HELLO, "  no QUIT out of step");
	free(sent);
	free(cause);
}

/* A server that says nothing more: the timeout ends the session. */
static void
test_timeout(void)
{
	struct account		 account;
	struct driver_info	 info;
	char			*reply, *cause, *sent;
	int			 rc;

	account_init(&account, "disable", 0, NULL);
	rc = session("220 mx\r\n", 8, 1, 1, &account, &info, &reply, &cause,
	    &sent);
	is_int(rc, -1, "a silent server times out");
	ok(cause != NULL && strncmp(cause, "EHLO: timeout", 13) == 0,
	    "  the cause names EHLO: %s", cause != NULL ? cause : "");
	free(sent);
	free(cause);
}

/* No host: nothing is tried. */
static void
test_no_host(void)
{
	struct account		 account;
	struct driver_info	 info;
	char			*reply, *cause = NULL;

	account_init(&account, "disable", 0, NULL);
	account.host = NULL;
	is_int(etrn_flush(&account, 5, &info, &reply, &cause), -1,
	    "an account without host fails");
	is_str(cause, "no host", "  and says so");
	free(cause);
}

int
main(void)
{
	test_transcripts();
	test_bounds();
	test_timeout();
	test_no_host();
	return done_testing();
}
