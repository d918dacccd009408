/* Unit tests for fetcher/header.c: fields, recipients, sender, Message-ID. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/header.h"
#include "tap.h"
#include "xmalloc.h"

/* A message (sizeof - 1 bytes, so NULs count) and what must come out. */
struct recipient_case {
	const char	*name;
	const char	*text;
	size_t		 len;
	const char	*recipients;	/* joined by spaces */
	const char	*source;
	const char	*dropped;	/* joined by spaces */
};

#define MSG(s)	s, sizeof(s) - 1

/* The Received field the provider's own SMTP server added, without "for". */
#define PROVIDER_RECEIVED \
	"Received: from out.example.org (out.example.org [192.0.2.9])\n" \
	"\tby mx.x.example (Postfix) with ESMTPS id 4XyZ;\n" \
	"\tMon, 23 Nov 2026 09:00:00 +0000\n"

/* What an outside sender wrote: forged envelope fields, its own trace. */
#define FORGED \
	"Received: from evil.example by out.example.org for <ceo@x.example>;" \
	" Mon, 23 Nov 2026 08:59:00 +0000\n" \
	"X-Original-To: ceo@x.example, root@x.example\n" \
	"Envelope-To: ceo@x.example\nX-Envelope-To: ceo@x.example\n" \
	"Delivered-To: root@x.example\nReturn-Path: <victim@y.example>\n" \
	"From: f@evil.example\nTo: user@x.example\n"

/* Gmail: Delivered-To above its first Received, Return-Path lower. */
#define GMAIL \
	"Delivered-To: user@gmail.example\n" \
	"Received: by 2002:a05:6358:1234 with SMTP id x1csp123;\n" \
	"        Mon, 23 Nov 2026 01:00:00 -0800 (PST)\n" \
	"X-Received: by 2002:a17:90a:abcd with SMTP id y2;\n" \
	"        Mon, 23 Nov 2026 01:00:00 -0800 (PST)\n" \
	"ARC-Seal: i=1; a=rsa-sha256; t=1; cv=none; d=google.com; b=x\n" \
	"Return-Path: <s@y.example>\n" \
	"Received: from out.y.example (out.y.example. [192.0.2.7])\n" \
	"        by mx.google.com with ESMTPS id z3\n" \
	"        for <user@gmail.example>;\n" \
	"        Mon, 23 Nov 2026 01:00:00 -0800 (PST)\n"

/* Exim appendfile: envelope fields above its Received, "for" unbracketed. */
#define EXIM \
	"Envelope-to: user@x.example\n" \
	"Delivery-date: Mon, 23 Nov 2026 09:00:01 +0000\n" \
	"Return-path: <s@y.example>\n" \
	"Received: from out.y.example ([192.0.2.7])\n" \
	"\tby mx.x.example with esmtps (Exim 4.96)\n" \
	"\t(envelope-from <s@y.example>)\n" \
	"\tid 1tAbCd-000123-Ab\n" \
	"\tfor user@x.example; Mon, 23 Nov 2026 09:00:01 +0000\n"

static const struct recipient_case recipient_cases[] = {
	/* envelope fields above the provider's Received */
	{ "Delivered-To alone",
	  MSG("Delivered-To: a@x.example\n" PROVIDER_RECEIVED
	      "Subject: hi\n\nbody\n"),
	  "a@x.example", "Delivered-To", "" },
	{ "X-Original-To beats Delivered-To (catch-all mailbox)",
	  MSG("Delivered-To: catchall@x.example\n"
	      "X-Original-To: real@x.example\n" PROVIDER_RECEIVED "\n"),
	  "real@x.example", "X-Original-To", "" },
	{ "Postfix local(8) order: Return-Path, X-Original-To, Delivered-To",
	  MSG("Return-Path: <s@y.example>\nX-Original-To: real@x.example\n"
	      "Delivered-To: catchall@x.example\n" PROVIDER_RECEIVED
	      "To: t@x.example\n\n"),
	  "real@x.example", "X-Original-To", "" },
	{ "Envelope-To list",
	  MSG("Envelope-To: a@x.example, b@x.example\n" PROVIDER_RECEIVED
	      "To: c@x.example\n\n"),
	  "a@x.example b@x.example", "Envelope-To", "" },
	{ "X-Envelope-To with angle brackets",
	  MSG("X-Envelope-To: <a@x.example>\n" PROVIDER_RECEIVED "\n"),
	  "a@x.example", "X-Envelope-To", "" },
	{ "Envelope-To beats X-Envelope-To",
	  MSG("X-Envelope-To: b@x.example\nEnvelope-To: a@x.example\n"
	      PROVIDER_RECEIVED "\n"),
	  "a@x.example", "Envelope-To", "" },
	{ "only the topmost Delivered-To",
	  MSG("Delivered-To: final@x.example\nDelivered-To: "
	      "earlier@y.example\n" PROVIDER_RECEIVED "\n"),
	  "final@x.example", "Delivered-To", "" },
	{ "an earlier hop's Delivered-To below Received is not used",
	  MSG("Delivered-To: final@x.example\n" PROVIDER_RECEIVED
	      "Delivered-To: earlier@y.example\n"
	      "Received: from a by y.example; date\n\n"),
	  "final@x.example", "Delivered-To", "" },
	{ "Exim layout",
	  MSG(EXIM "To: t@x.example\n\n"),
	  "user@x.example", "Envelope-To", "" },
	{ "Gmail layout",
	  MSG(GMAIL "To: t@x.example\n\n"),
	  "user@gmail.example", "Delivered-To", "" },
	/* forged envelope fields below the provider's Received */
	{ "forged X-Original-To below: the provider's Delivered-To",
	  MSG("Return-Path: <s@y.example>\nDelivered-To: user@x.example\n"
	      PROVIDER_RECEIVED FORGED "\n"),
	  "user@x.example", "Delivered-To", "" },
	{ "forged fields below Dovecot LMTP's Received: its for clause",
	  MSG("Received: from mx.x.example by imap.x.example with LMTP id 1\n"
	      "\t(envelope-from <s@y.example>)\n"
	      "\tfor <user@x.example>; Mon, 23 Nov 2026 09:00:02 +0000\n"
	      FORGED "\n"),
	  "user@x.example", "Received", "" },
	{ "forged fields below a Received without for: To/Cc",
	  MSG(PROVIDER_RECEIVED FORGED "\n"),
	  "user@x.example", "To/Cc", "" },
	{ "Gmail with forged fields below",
	  MSG(GMAIL FORGED "\n"),
	  "user@gmail.example", "Delivered-To", "" },
	{ "Exim with forged fields below",
	  MSG(EXIM FORGED "\n"),
	  "user@x.example", "Envelope-To", "" },
	{ "an invalid provider field falls through, not to forged ones",
	  MSG("Delivered-To: -x@x.example\n" PROVIDER_RECEIVED FORGED "\n"),
	  "user@x.example", "To/Cc", "-x@x.example" },
	/* no Received at all: the topmost envelope field alone */
	{ "no Received: Delivered-To alone",
	  MSG("Delivered-To: a@x.example\nSubject: hi\n\nbody\n"),
	  "a@x.example", "Delivered-To", "" },
	{ "no Received: the topmost envelope field, not a lower preferred one",
	  MSG("Return-Path: <s@y.example>\nDelivered-To: user@x.example\n"
	      "X-Original-To: ceo@x.example\nTo: t@x.example\n\n"),
	  "user@x.example", "Delivered-To", "" },
	{ "no Received: Postfix order still takes X-Original-To",
	  MSG("Return-Path: <s@y.example>\nX-Original-To: real@x.example\n"
	      "Delivered-To: catchall@x.example\n\n"),
	  "real@x.example", "X-Original-To", "" },
	{ "no Received: an invalid topmost one falls through to To/Cc",
	  MSG("Delivered-To: -x@x.example\nX-Original-To: ceo@x.example\n"
	      "To: t@x.example\n\n"),
	  "t@x.example", "To/Cc", "-x@x.example" },
	{ "Received for, top line",
	  MSG("Received: from mx.example (mx.example [192.0.2.1])\n"
	      "\tby pop.example (Postfix) with ESMTPS id 4XyZ\n"
	      "\tfor <rcpt@x.example>; Mon, 23 Nov 2026 09:00:00 +0000\n"
	      "Received: from a by b for <older@x.example>; date\n"
	      "To: visible@x.example\n\n"),
	  "rcpt@x.example", "Received", "" },
	{ "Received for only on a lower line: not used",
	  MSG("Received: from a by b; Mon, 23 Nov 2026 09:00:00 +0000\n"
	      "Received: from c by d for <older@x.example>; date\n"
	      "To: visible@x.example\n\n"),
	  "visible@x.example", "To/Cc", "" },
	{ "Received for without brackets, comment with 'for'",
	  MSG("Received: from a (helo for <no@x.example>) by b with SMTP"
	      " for rcpt@x.example (comment); date\n\n"),
	  "rcpt@x.example", "Received", "" },
	{ "Received for right after a nested comment holding 'for'",
	  MSG("Received: from a (x (for <no@x.example>) y)for <r@x.example>;"
	      " date\n\n"),
	  "r@x.example", "Received", "" },
	{ "Received: an unterminated comment hides the rest",
	  MSG("Received: from a (b for <no@x.example>\nTo: t@x.example\n\n"),
	  "t@x.example", "To/Cc", "" },
	{ "Received: 'for' in the date part is ignored",
	  MSG("Received: from a by b; for <no@x.example>\nTo: t@x.example\n\n"),
	  "t@x.example", "To/Cc", "" },
	{ "Received: 'for' inside a word is ignored",
	  MSG("Received: from before.example by b; date\nTo: t@x.example\n\n"),
	  "t@x.example", "To/Cc", "" },
	{ "To, Cc, Resent-To, Resent-Cc together when no envelope header",
	  MSG("To: A <a@x.example>, b@x.example\nCc: c@x.example\n"
	      "Resent-To: d@x.example\nResent-Cc: e@x.example\n"
	      "Bcc: f@x.example\n\n"),
	  "a@x.example b@x.example c@x.example d@x.example e@x.example",
	  "To/Cc", "" },
	{ "dedup, case-insensitive, first spelling kept",
	  MSG("To: Anna@X.example, anna@x.example\nCc: ANNA@x.EXAMPLE, "
	      "b@x.example\n\n"),
	  "Anna@X.example b@x.example", "To/Cc", "" },
	{ "invalid and '-' recipients dropped",
	  MSG("To: -oQ/tmp@x.example, ok@x.example, Name Only, a@b..c\n\n"),
	  "ok@x.example", "To/Cc", "-oQ/tmp@x.example Name Only a@b..c" },
	{ "an envelope header with only invalid addresses falls through",
	  MSG("Delivered-To: -evil@x.example\n" PROVIDER_RECEIVED
	      "To: t@x.example\n\n"),
	  "t@x.example", "To/Cc", "-evil@x.example" },
	{ "folded To",
	  MSG("To: a@x.example,\n b@x.example,\r\n\tc@x.example\n\n"),
	  "a@x.example b@x.example c@x.example", "To/Cc", "" },
	{ "CRLF line ends",
	  MSG("Delivered-To: a@x.example\r\nReceived: from a by b; date\r\n"
	      "X-Original-To: ceo@x.example\r\nSubject: x\r\n\r\nbody\r\n"),
	  "a@x.example", "Delivered-To", "" },
	{ "header names in any case, space before colon",
	  MSG("dElIvErEd-tO : a@x.example\nreceived : from a by b; date\n"
	      "X-Original-To: ceo@x.example\n\n"),
	  "a@x.example", "Delivered-To", "" },
	{ "group syntax",
	  MSG("To: team: a@x.example, b@x.example;, c@x.example\n\n"),
	  "a@x.example b@x.example c@x.example", "To/Cc", "" },
	{ "no recipients at all",
	  MSG("Subject: nothing\nFrom: f@x.example\n\n"),
	  "", NULL, "" },
	{ "no header section: body only",
	  MSG("This is not a header\nTo: a@x.example\n\n"),
	  "", NULL, "" },
	{ "empty message", MSG(""), "", NULL, "" },
	{ "headers after the empty line are body",
	  MSG("Subject: x\n\nTo: a@x.example\n"),
	  "", NULL, "" },
	{ "a non-header line ends the section",
	  MSG("Subject: x\nnot a header\nTo: a@x.example\n\n"),
	  "", NULL, "" },
	{ "NUL in a value: address invalid",
	  MSG("To: a@x.ex\0ample, b@x.example\n\n"),
	  "b@x.example", "To/Cc", "a@x.ex?ample" },
	{ "NUL in a header name ends the section",
	  MSG("Subject: x\nT\0o: a@x.example\n\n"),
	  "", NULL, "" },
	{ "bare CR in a value",
	  MSG("To: a@x.example\r, b@x.example\n\n"),
	  "a@x.example b@x.example", "To/Cc", "" },
	{ "last line without LF",
	  MSG("Subject: x\nDelivered-To: a@x.example"),
	  "a@x.example", "Delivered-To", "" },
	{ "last line a Received without LF",
	  MSG("Subject: x\nReceived: from a by b for <c@x.example>"),
	  "c@x.example", "Received", "" },
	{ "continuation line first: not a header section",
	  MSG(" To: a@x.example\n\n"),
	  "", NULL, "" },
};

/* Join a list of strings with single spaces into a new string. */
static char *
join(char **list, size_t count)
{
	char	*s;
	size_t	 i, len = 1;

	for (i = 0; i < count; i++)
		len += strlen(list[i]) + 1;
	s = xcalloc(1, len);
	for (i = 0; i < count; i++) {
		if (i > 0)
			strlcat(s, " ", len);
		strlcat(s, list[i], len);
	}
	return s;
}

static void
test_recipients(void)
{
	const struct recipient_case	*c;
	struct header			 h;
	struct header_recipients	 r;
	char				*got;
	size_t				 i;

	for (i = 0; i < sizeof(recipient_cases) / sizeof(recipient_cases[0]);
	    i++) {
		c = &recipient_cases[i];
		header_parse(&h, c->text, c->len);
		header_recipients(&h, &r);
		got = join(r.list, r.count);
		is_str(got, c->recipients, "%s: recipients", c->name);
		free(got);
		is_str(r.source, c->source, "%s: source", c->name);
		got = join(r.dropped, r.dropped_count);
		is_str(got, c->dropped, "%s: dropped", c->name);
		free(got);
		header_recipients_free(&r);
		header_free(&h);
	}
}

/* Return-Path and the sender it gives. */
static const struct {
	const char	*name;
	const char	*text;
	const char	*sender;
} sender_cases[] = {
	{ "angle brackets", "Return-Path: <bounce@x.example>\n\n",
	  "bounce@x.example" },
	{ "no angle brackets", "Return-Path: bounce@x.example\n\n",
	  "bounce@x.example" },
	{ "null sender", "Return-Path: <>\n\n", "" },
	{ "empty", "Return-Path:\n\n", NULL },
	{ "source route dropped",
	  "Return-Path: <@route.example:b@x.example>\n\n", "b@x.example" },
	{ "leading '-'", "Return-Path: <-f@x.example>\n\n", NULL },
	{ "garbage", "Return-Path: garbage here\n\n", NULL },
	{ "never From", "From: author@x.example\n\n", NULL },
	{ "the topmost one",
	  "Return-Path: <first@x.example>\nReturn-Path: <second@x.example>\n\n",
	  "first@x.example" },
	{ "SRS, lower-case name",
	  "return-path: <SRS0=abc=de=x.example=u@fwd.example>\n\n",
	  "SRS0=abc=de=x.example=u@fwd.example" },
	{ "empty message", "", NULL },
	/* the top block above the first Received only */
	{ "above Received, with Delivered-To",
	  "Return-Path: <s@y.example>\nDelivered-To: u@x.example\n"
	  PROVIDER_RECEIVED "\n", "s@y.example" },
	{ "above Received, a forged one below",
	  "Return-Path: <s@y.example>\n" PROVIDER_RECEIVED FORGED "\n",
	  "s@y.example" },
	{ "only below Received: ignored",
	  PROVIDER_RECEIVED "Return-Path: <evil@y.example>\n\n", NULL },
	{ "provider's Delivered-To, forged Return-Path below: ignored",
	  "Delivered-To: u@x.example\n" PROVIDER_RECEIVED FORGED "\n", NULL },
	{ "Exim layout", EXIM FORGED "\n", "s@y.example" },
	{ "Gmail: its Return-Path is below Received", GMAIL "\n", NULL },
	/* no Received: above the first envelope recipient field only */
	{ "no Received: above Delivered-To",
	  "Return-Path: <s@y.example>\nDelivered-To: u@x.example\n"
	  "Return-Path: <evil@y.example>\n\n", "s@y.example" },
	{ "no Received: below Delivered-To ignored",
	  "Delivered-To: u@x.example\nReturn-Path: <evil@y.example>\n\n", NULL },
	{ "no Received, no envelope field: the topmost",
	  "Subject: x\nReturn-Path: <s@y.example>\nTo: t@x.example\n\n",
	  "s@y.example" },
};

static void
test_sender(void)
{
	struct header	 h;
	char		*sender;
	size_t		 i;

	for (i = 0; i < sizeof(sender_cases) / sizeof(sender_cases[0]); i++) {
		header_parse(&h, sender_cases[i].text,
		    strlen(sender_cases[i].text));
		sender = header_sender(&h);
		is_str(sender, sender_cases[i].sender, "sender: %s",
		    sender_cases[i].name);
		free(sender);
		header_free(&h);
	}
}

static const struct {
	const char	*text;
	size_t		 len;
	const char	*id;
} id_cases[] = {
	{ MSG("Message-ID: <abc@x.example>\n\n"), "abc@x.example" },
	{ MSG("message-id:\n <folded@x.example>\n\n"), "folded@x.example" },
	{ MSG("Message-Id: no-brackets@x\n\n"), "no-brackets@x" },
	{ MSG("Message-ID: <a b\001c@x>\n\n"), "ab?c@x" },
	{ MSG("Message-ID: <nul\0@x>\n\n"), "nul?@x" },
	{ MSG("Subject: no id\n\n"), "" },
	{ MSG("Message-ID: <unclosed@x\n\n"), "<unclosed@x" },
};

static void
test_message_id(void)
{
	struct header	 h;
	char		 id[256], small[5], *big;
	size_t		 i, n;

	for (i = 0; i < sizeof(id_cases) / sizeof(id_cases[0]); i++) {
		header_parse(&h, id_cases[i].text, id_cases[i].len);
		header_message_id(&h, id, sizeof(id));
		is_str(id, id_cases[i].id, "message-id %zu", i);
		header_free(&h);
	}
	header_parse(&h, "Message-ID: <abcdef@x>\n", 23);
	header_message_id(&h, small, sizeof(small));
	is_str(small, "abcd", "message-id cut to fit");
	header_free(&h);

	n = 100000;
	big = xmalloc(n);
	memcpy(big, "Message-ID: <", 13);
	memset(big + 13, 'x', n - 13);
	header_parse(&h, big, n);
	header_message_id(&h, id, sizeof(id));
	is_int(strlen(id), 255, "huge message-id cut to 255");
	header_free(&h);
	free(big);
}

/* The field list itself: offsets, names, values, section end. */
static void
test_parse(void)
{
	static const char text[] = "A: 1\nB-C :  two\n  folded\t\nD:\n\nbody";
	struct header	 h;
	char		*v;

	header_parse(&h, text, sizeof(text) - 1);
	is_int(h.count, 3, "three fields");
	ok(header_is(&h, 1, "b-c"), "name without the blank before ':'");
	v = header_value(&h, 1);
	is_str(v, "two  folded", "unfolded, trimmed");
	free(v);
	v = header_value(&h, 2);
	is_str(v, "", "empty value");
	free(v);
	is_int(h.end, 29, "section end");
	is_int(h.body, 30, "body after the empty line");
	is_int(header_find(&h, "d", 0), 2, "find");
	is_int(header_find(&h, "A", 1), -1, "find from");
	header_free(&h);

	is_int(header_line_kind("Subject: x", 10), HEADER_LINE_FIELD, "field");
	is_int(header_line_kind("\r", 1), HEADER_LINE_EMPTY, "lone CR empty");
	is_int(header_line_kind("", 0), HEADER_LINE_EMPTY, "empty");
	is_int(header_line_kind("\tx", 2), HEADER_LINE_CONTINUATION, "tab");
	is_int(header_line_kind("From x", 6), HEADER_LINE_OTHER, "mbox From");
	is_int(header_line_kind(":x", 2), HEADER_LINE_OTHER, "no name");
	is_int(header_line_kind("Subject", 7), HEADER_LINE_OTHER, "no colon");
	is_int(header_line_kind("\xc3\xa9: x", 5), HEADER_LINE_OTHER,
	    "8-bit name");
}

/* Many recipients: capped, the rest reported, in bounded time. */
static void
test_many(void)
{
	struct header			 h;
	struct header_recipients	 r;
	char				*text;
	size_t				 i, len, n = 3000;

	text = xmalloc(n * 32 + 16);
	len = (size_t)sprintf(text, "To: ");
	for (i = 0; i < n; i++)
		len += (size_t)sprintf(text + len, "u%zu@x.example, ", i);
	len += (size_t)sprintf(text + len, "\n\n");
	header_parse(&h, text, len);
	header_recipients(&h, &r);
	is_int(r.count, HEADER_RECIPIENTS_MAX, "capped at the maximum");
	is_int(r.dropped_total, n - HEADER_RECIPIENTS_MAX, "rest dropped");
	is_int(r.dropped_count, HEADER_DROPPED_MAX, "a few kept for the log");
	header_recipients_free(&r);
	header_free(&h);
	free(text);
}

int
main(void)
{
	test_recipients();
	test_sender();
	test_message_id();
	test_parse();
	test_many();
	return done_testing();
}
