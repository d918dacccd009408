/*
 * Unit tests for fetcher/imap_reader.c: scripted server bytes over a
 * socketpair (tests/unit/peer.c), read back response by response and
 * compared with an exact rendering of each tree, of what a streamed
 * literal fed the sink, and of the cause that ended the reading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/imap_reader.h"
#include "../../fetcher/transport.h"
#include "peer.h"
#include "tap.h"
#include "xmalloc.h"

#define BYTES(s)	s, sizeof(s) - 1
#define LITERAL_MAX	1024

/* Append data to b with quotes, backslashes and non-printables escaped. */
static void
render_bytes(struct buffer *b, const char *data, size_t len)
{
	char	 hex[8];
	size_t	 i;

	for (i = 0; i < len; i++) {
		if (data[i] == '"' || data[i] == '\\') {
			buffer_add(b, "\\", 1);
			buffer_add(b, data + i, 1);
		} else if (data[i] >= ' ' && data[i] <= '~')
			buffer_add(b, data + i, 1);
		else {
			snprintf(hex, sizeof(hex), "\\x%02x",
			    (unsigned char)data[i]);
			buffer_add(b, hex, strlen(hex));
		}
	}
}

static void render_items(struct buffer *, const struct imap_item *);

/*
 * One item: atoms as they are, #number, "string", NIL, (list), [code]
 * (or [!raw] when the code did not parse), 'text', <streamed size>.
 */
static void
render_item(struct buffer *b, const struct imap_item *item)
{
	char		 s[64];
	long long	 number;

	switch (imap_type(item)) {
	case IMAP_ATOM:
	case IMAP_NIL:
		render_bytes(b, item->string, item->len);
		break;
	case IMAP_NUMBER:
		if (imap_number(item, &number) == 0) {
			snprintf(s, sizeof(s), "#%lld", number);
			buffer_add(b, s, strlen(s));
		}
		break;
	case IMAP_STRING:
		buffer_add(b, "\"", 1);
		render_bytes(b, item->string, item->len);
		buffer_add(b, "\"", 1);
		break;
	case IMAP_LIST:
		buffer_add(b, "(", 1);
		render_items(b, item);
		buffer_add(b, ")", 1);
		break;
	case IMAP_CODE:
		buffer_add(b, "[", 1);
		if (imap_count(item) == 0) {
			buffer_add(b, "!", 1);
			render_bytes(b, item->string, item->len);
		} else
			render_items(b, item);
		buffer_add(b, "]", 1);
		break;
	case IMAP_TEXT:
		buffer_add(b, "'", 1);
		render_bytes(b, imap_string(item), item->len);
		buffer_add(b, "'", 1);
		break;
	case IMAP_STREAMED:
		snprintf(s, sizeof(s), "<streamed %lld>", item->number);
		buffer_add(b, s, strlen(s));
		break;
	case IMAP_NONE:
		buffer_add(b, "?", 1);
		break;
	}
}

/* The children of a list, space-separated. */
static void
render_items(struct buffer *b, const struct imap_item *list)
{
	size_t	 i;

	for (i = 0; i < imap_count(list); i++) {
		if (i > 0)
			buffer_add(b, " ", 1);
		render_item(b, imap_child(list, i));
	}
}

/* "tag/STATUS: items\n"; no /STATUS for a data response. */
static void
render_response(struct buffer *b, const struct imap_response *r)
{
	static const char *const status[] = { "", "/OK", "/NO", "/BAD",
	    "/BYE", "/PREAUTH" };

	buffer_add(b, r->tag, strlen(r->tag));
	buffer_add(b, status[r->status], strlen(status[r->status]));
	buffer_add(b, ": ", 2);
	render_items(b, &r->items);
	buffer_add(b, "\n", 1);
}

/*
 * One reading of a script: the responses rendered, what the stream got
 * (pieces, '|' after one, '$' at a line end), what its start was shown,
 * and the cause that ended it.
 */
struct run {
	struct buffer	 out;
	struct buffer	 b;
	struct buffer	 starts;
	char		*cause;
	int		 refuse;	/* data() says stop after this many */
	size_t		 calls;
	size_t		 bytes;
	size_t		 lines;
	size_t		 pieces_with_cr;
	int		 raw;		/* keep the data unescaped, no marks */
};

/* Stream what follows a BODY[] atom; note the context it came with. */
static int
record_start(void *arg, const struct imap_response *r,
    const struct imap_item *list, long long size)
{
	struct run		*run = arg;
	const struct imap_item	*before;
	char			 s[64];

	before = imap_child(list, imap_count(list) - 1);
	render_items(&run->starts, &r->items);
	snprintf(s, sizeof(s), " / %lld\n", size);
	buffer_add(&run->starts, s, strlen(s));
	return imap_is_atom(before, "body[]");
}

static int
record_data(void *arg, const char *data, size_t len, int eol)
{
	struct run	*run = arg;

	if (run->refuse > 0 && run->calls == (size_t)run->refuse)
		return -1;
	run->calls++;
	run->bytes += len;
	run->lines += eol != 0;
	if (memchr(data, '\r', len) != NULL)
		run->pieces_with_cr++;
	if (run->raw) {
		buffer_add(&run->b, data, len);
		if (eol)
			buffer_add(&run->b, "\n", 1);
		return 0;
	}
	render_bytes(&run->b, data, len);
	buffer_add(&run->b, eol ? "$" : "|", 1);
	return 0;
}

/* Read every response the script gives until an error, into run. */
static void
read_all(struct run *run, const char *script, size_t len,
    size_t repeat_len, size_t repeat)
{
	struct imap_stream	 stream = { record_start, record_data, run };
	struct imap_response	*r;
	struct imap_reader	*rd;
	struct transport	*t;
	struct peer		 peer;
	char			*body = NULL;

	if (repeat > 0) {
		body = xmalloc(repeat_len);
		memset(body, 'x', repeat_len);
	}
	peer_start_big(&peer, script, len, body, repeat_len, repeat, NULL, 0);
	t = transport_fds(peer.fd, peer.fd, 5);
	rd = imap_reader_new(t, LITERAL_MAX);
	buffer_add(&run->out, "", 0);
	buffer_add(&run->b, "", 0);
	buffer_add(&run->starts, "", 0);
	while (imap_read(rd, &stream, &r, &run->cause) == 0) {
		render_response(&run->out, r);
		imap_response_free(r);
	}
	imap_reader_free(rd);
	transport_free(t);
	free(peer_finish(&peer));
	free(body);
}

/* Free what a run holds, ready for the next. */
static void
run_free(struct run *run)
{
	free(run->out.data);
	free(run->b.data);
	free(run->starts.data);
	free(run->cause);
	memset(run, 0, sizeof(*run));
}

#define EOF_CAUSE	"connection closed by server"

static const struct {
	const char	*name;
	const char	*server;
	size_t		 len;
	const char	*want;		/* the responses rendered */
	const char	*stream;	/* what the sink got */
	const char	*cause;		/* what ended the reading */
} cases[] = {
	{ "tagged OK, NO, BAD",
	  BYTES("a1 OK LOGIN completed\r\n"
	  "a2 NO [AUTHENTICATIONFAILED] Invalid credentials (Failure)\r\n"
	  "a3 bad Error in IMAP command: \"x\r\n"
	  "a4 OK\r\n"),
	  "a1/OK: OK 'LOGIN completed'\n"
	  "a2/NO: NO [AUTHENTICATIONFAILED] 'Invalid credentials (Failure)'\n"
	  "a3/BAD: bad 'Error in IMAP command: \\\"x'\n"
	  "a4/OK: OK ''\n", "", EOF_CAUSE },
	{ "untagged status responses with codes",
	  BYTES("* OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] ready\r\n"
	  "* OK [PERMANENTFLAGS (\\Deleted \\Seen \\*)] Limited\r\n"
	  "* OK [UIDVALIDITY 3857529045] UIDs valid\r\n"
	  "* PREAUTH [ALERT] hello\r\n"
	  "* NO [WEIRD \"unbalanced] code\r\n"
	  "* OK [X {5}] no literal in a code\r\n"
	  "* BYE Logging out\r\n"),
	  "*/OK: OK [CAPABILITY IMAP4rev1 STARTTLS AUTH=PLAIN] 'ready'\n"
	  "*/OK: OK [PERMANENTFLAGS (\\\\Deleted \\\\Seen \\\\*)] 'Limited'\n"
	  "*/OK: OK [UIDVALIDITY #3857529045] 'UIDs valid'\n"
	  "*/PREAUTH: PREAUTH [ALERT] 'hello'\n"
	  "*/NO: NO [!WEIRD \\\"unbalanced] 'code'\n"
	  "*/OK: OK [!X {5}] 'no literal in a code'\n"
	  "*/BYE: BYE 'Logging out'\n", "", EOF_CAUSE },
	{ "continuations",
	  BYTES("+ Ready for literal data\r\n+\r\n+ dGVzdA==\r\n"),
	  "+: 'Ready for literal data'\n+: ''\n+: 'dGVzdA=='\n", "",
	  EOF_CAUSE },
	{ "untagged EXISTS and FETCH with nested lists, LF only",
	  BYTES("* 5 EXISTS\n* 0 recent\r\n"
	  "* 1 FETCH (UID 7 RFC822.SIZE 1234 INTERNALDATE "
	  "\"17-Jul-1996 02:44:25 -0700\" FLAGS (\\Seen \\Answered) "
	  "BODY[HEADER.FIELDS (FROM \"TO\")]<0> NIL)\r\n"
	  "* 2 FETCH (ENVELOPE (NIL \"subj\" ((nil NIL \"u\" \"example.com\")"
	  ") ()))\r\n"),
	  "*: #5 EXISTS\n*: #0 recent\n"
	  "*: #1 FETCH (UID #7 RFC822.SIZE #1234 INTERNALDATE "
	  "\"17-Jul-1996 02:44:25 -0700\" FLAGS (\\\\Seen \\\\Answered) "
	  "BODY[HEADER.FIELDS (FROM \\\"TO\\\")]<0> NIL)\n"
	  "*: #2 FETCH (ENVELOPE (NIL \"subj\" ((nil NIL \"u\" "
	  "\"example.com\")) ()))\n", "", EOF_CAUSE },
	{ "quoted strings with escapes, 8-bit, empty",
	  BYTES("* LIST (\\HasNoChildren) \"/\" \"a \\\"b\\\" \\\\c\"\r\n"
	  "* LIST () \".\" \"Entw\303\274rfe\"\r\n"
	  "* LIST () NIL \"\"\r\n"),
	  "*: LIST (\\\\HasNoChildren) \"/\" \"a \\\"b\\\" \\\\c\"\n"
	  "*: LIST () \".\" \"Entw\\xc3\\xbcrfe\"\n"
	  "*: LIST () NIL \"\"\n", "", EOF_CAUSE },
	{ "literals inside LIST responses, kept",
	  BYTES("* LIST (\\Noselect) \"/\" {9}\r\nfolder\r\nx\r\n"
	  "* LIST () \".\" {3+}\r\na\0c\r\n"
	  "* LIST () \"/\" {0}\r\n\r\n"
	  "* STATUS {4}\r\nname (MESSAGES 2 UIDNEXT 44)\r\n"),
	  "*: LIST (\\\\Noselect) \"/\" \"folder\\x0d\\x0ax\"\n"
	  "*: LIST () \".\" \"a\\x00c\"\n"
	  "*: LIST () \"/\" \"\"\n"
	  "*: STATUS \"name\" (MESSAGES #2 UIDNEXT #44)\n", "", EOF_CAUSE },
	{ "streamed message: CRLF, bare LF, NUL, no line end at the end",
	  BYTES("* 1 FETCH (UID 7 BODY[] {35}\r\n"
	  "Subject: hi\r\n\r\nline1\nline\0two\r\nlast"
	  " FLAGS (\\Seen))\r\na1 OK done\r\n"),
	  "*: #1 FETCH (UID #7 BODY[] <streamed 35> FLAGS (\\\\Seen))\n"
	  "a1/OK: OK 'done'\n",
	  "Subject: hi$$line1$line\\x00two$last|", EOF_CAUSE },
	{ "streamed message ending in CRLF, bare CR kept",
	  BYTES("* 2 FETCH (BODY[] {12}\r\na\rb\r\n\r\nend\r\n)\r\n"
	  "* 3 FETCH (BODY[] {4}\r\nend\r)\r\n"),
	  "*: #2 FETCH (BODY[] <streamed 12>)\n"
	  "*: #3 FETCH (BODY[] <streamed 4>)\n",
	  "a\\x0db$$end$end\\x0d|", EOF_CAUSE },
	{ "a literal count over the maximum",
	  BYTES("* LIST () \"/\" {10737418240}\r\n"), "", "",
	  "literal of 10737418240 octets over the limit of 1024: "
	  "\"* LIST () \"/\" {10737418240}\"" },
	{ "connection dropped in the middle of a streamed literal",
	  BYTES("* 1 FETCH (UID 9 BODY[] {100}\r\nSubject: cut\r\nab"), "",
	  "Subject: cut$ab|", EOF_CAUSE },
	{ "connection dropped in the middle of a kept literal",
	  BYTES("* LIST () \"/\" {100}\r\nabc"), "", "", EOF_CAUSE },
	{ "connection dropped after a literal",
	  BYTES("* LIST () \"/\" {3}\r\nabc"), "", "", EOF_CAUSE },
	{ "16 lists deep",
	  BYTES("* X ((((((((((((((((a))))))))))))))))\r\n"),
	  "*: X ((((((((((((((((a))))))))))))))))\n", "", EOF_CAUSE },
	{ "nesting too deep",
	  BYTES("* X (((((((((((((((((a)))))))))))))))))\r\n"), "", "",
	  "lists nested too deep in response: "
	  "\"* X (((((((((((((((((a)))))))))))))))))\"" },
	{ "garbage tag", BYTES("\001\002 OK\r\n"), "", "",
	  "malformed response tag: \"?? OK\"" },
	{ "tag too long", BYTES("a123456789012345678901234567890123 OK\r\n"),
	  "", "", "malformed response tag: "
	  "\"a123456789012345678901234567890123 OK\"" },
	{ "empty line", BYTES("\r\n"), "", "",
	  "malformed response tag: \"\"" },
	{ "untagged nothing", BYTES("* \r\n"), "", "",
	  "response without content: \"* \"" },
	{ "tagged without a status", BYTES("a1 FETCH (UID 1)\r\n"), "", "",
	  "tagged response without OK, NO or BAD: \"a1 FETCH (UID 1)\"" },
	{ "tagged BYE", BYTES("a1 BYE now\r\n"), "", "",
	  "tagged response without OK, NO or BAD: \"a1 BYE now\"" },
	{ "control character", BYTES("* 1 FETCH (UID \033[2J)\r\n"), "", "",
	  "unexpected character in response: \"* 1 FETCH (UID ?[2J)\"" },
	{ "unclosed list", BYTES("* 1 FETCH (UID 1\r\n"), "", "",
	  "unclosed ( in response: \"* 1 FETCH (UID 1\"" },
	{ "unexpected )", BYTES("* 1 FETCH UID 1)\r\n"), "", "",
	  "unexpected ) in response: \"* 1 FETCH UID 1)\"" },
	{ "unterminated quoted string", BYTES("* LIST () \"/ foo\r\n"), "",
	  "", "unterminated quoted string in response: "
	  "\"* LIST () \"/ foo\"" },
	{ "bad escape", BYTES("* LIST () \"\\x\"\r\n"), "", "",
	  "bad character in quoted string in response: "
	  "\"* LIST () \"\\x\"\"" },
	{ "NUL in a quoted string", BYTES("* LIST () \"a\0b\"\r\n"), "", "",
	  "bad character in quoted string in response: "
	  "\"* LIST () \"a?b\"\"" },
	{ "literal count not at the end", BYTES("* X {5}x\r\n"), "", "",
	  "literal count not at the end of the line: \"* X {5}x\"" },
	{ "literal count unclosed", BYTES("* X {5\r\n"), "", "",
	  "literal count not at the end of the line: \"* X {5\"" },
	{ "literal count not a number", BYTES("* X {-5}\r\n"), "", "",
	  "bad literal count in response: \"* X {-5}\"" },
	{ "literal count too big", BYTES("* X {99999999999999999999}\r\n"),
	  "", "", "bad literal count in response: "
	  "\"* X {99999999999999999999}\"" },
	{ "number too big", BYTES("* 99999999999999999999 EXISTS\r\n"), "",
	  "", "number out of range in response: "
	  "\"* 99999999999999999999 EXISTS\"" },
	{ "response code without ]", BYTES("a1 NO [ALERT oops\r\n"), "", "",
	  "response code without ]: \"a1 NO [ALERT oops\"" },
	{ "nothing at all", BYTES(""), "", "", EOF_CAUSE },
};

/* Each script: the responses, what was streamed, the cause. */
static void
test_cases(void)
{
	struct run	 run;
	size_t		 i;

	memset(&run, 0, sizeof(run));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		read_all(&run, cases[i].server, cases[i].len, 0, 0);
		is_str(run.out.data, cases[i].want, "%s: responses",
		    cases[i].name);
		is_str(run.b.data, cases[i].stream, "%s: streamed",
		    cases[i].name);
		is_str(run.cause, cases[i].cause, "%s: run.cause", cases[i].name);
		run_free(&run);
	}
}

/* The start callback sees the response so far and the literal's list. */
static void
test_stream_context(void)
{
	struct run	 run;

	memset(&run, 0, sizeof(run));
	read_all(&run, BYTES("* 3 FETCH (UID 12 BODY[HEADER] {3}\r\nabc "
	    "BODY[] {2}\r\nxy)\r\n* LIST () \"/\" {1}\r\nz\r\n"), 0, 0);
	is_str(run.starts.data,
	    "#3 FETCH (UID #12 BODY[HEADER]) / 3\n"
	    "#3 FETCH (UID #12 BODY[HEADER] \"abc\" BODY[]) / 2\n"
	    "LIST () \"/\" / 1\n", "stream: start sees the context");
	is_str(run.out.data, "*: #3 FETCH (UID #12 BODY[HEADER] \"abc\" BODY[] "
	    "<streamed 2>)\n*: LIST () \"/\" \"z\"\n",
	    "stream: only BODY[] streamed");
	is_str(run.b.data, "xy|", "stream: its data");
	run_free(&run);

	/* A sink that refuses: fed no more, the literal still read. */
	run.refuse = 2;
	read_all(&run, BYTES("* 1 FETCH (BODY[] {12}\r\na\r\nb\r\nc\r\nd\r\n"
	    " UID 4)\r\na1 OK\r\n"), 0, 0);
	is_str(run.b.data, "a$b$", "refused: fed no more");
	is_str(run.out.data, "*: #1 FETCH (BODY[] <streamed 12> UID #4)\n"
	    "a1/OK: OK ''\n", "refused: the response is read whole");
	run_free(&run);
}

/*
 * A 300 KB message with lines of every length from 0 to 5000, CRLF
 * ended, and one 200 KB line: however the bytes arrive, no piece holds
 * a CR, and the pieces joined give the message with LF line ends.
 */
static void
test_stream_big(void)
{
	struct buffer	 script, message, want;
	struct run	 run;
	char		*line, head[64];
	size_t		 i, lines = 0, octets = 0;

	memset(&run, 0, sizeof(run));
	memset(&message, 0, sizeof(message));
	memset(&want, 0, sizeof(want));
	line = xmalloc(200000);
	for (i = 0; message.len < 100000; i = (i + 37) % 5001) {
		memset(line, 'a' + i % 26, i);
		buffer_add(&message, line, i);
		buffer_add(&message, "\r\n", 2);
		buffer_add(&want, line, i);
		buffer_add(&want, "\n", 1);
		octets += i;
		lines++;
	}
	memset(line, 'L', 200000);
	buffer_add(&message, line, 200000);
	buffer_add(&message, "\r\n", 2);
	buffer_add(&want, line, 200000);
	buffer_add(&want, "\n", 1);
	octets += 200000;
	lines++;
	free(line);

	memset(&script, 0, sizeof(script));
	snprintf(head, sizeof(head), "* 1 FETCH (BODY[] {%zu}\r\n",
	    message.len);
	buffer_add(&script, head, strlen(head));
	buffer_add(&script, message.data, message.len);
	buffer_add(&script, ")\r\n", 3);
	run.raw = 1;
	read_all(&run, script.data, script.len, 0, 0);
	snprintf(head, sizeof(head), "*: #1 FETCH (BODY[] <streamed %zu>)\n",
	    message.len);
	is_str(run.out.data, head, "big: one response");
	is_int(run.bytes, octets, "big: data octets");
	is_int(run.lines, lines, "big: lines");
	is_int(run.pieces_with_cr, 0, "big: no piece holds a CR");
	ok(run.b.len == want.len && memcmp(run.b.data, want.data,
	    want.len) == 0, "big: the pieces make the message");
	ok(run.calls > lines, "big: the long line came in pieces (%zu calls)",
	    run.calls);
	is_str(run.cause, EOF_CAUSE, "big: then EOF");
	run_free(&run);
	free(script.data);
	free(message.data);
	free(want.data);
}

/* Bounds that need big scripts. */
static void
test_bounds(void)
{
	struct buffer	 script;
	struct run	 run;
	char		 want[128];
	size_t		 i;

	/* A line that never ends: 2 MiB of x, no LF. */
	memset(&run, 0, sizeof(run));
	read_all(&run, "* ", 2, 65536, 32);
	snprintf(want, sizeof(want), "response longer than %d octets: "
	    "\"* xxxx", IMAP_LINE_MAX);
	ok(run.cause != NULL && strncmp(run.cause, want, strlen(want)) == 0,
	    "a line that never ends: %.60s", run.cause);
	run_free(&run);

	/* Too many items: 100001 numbers. */
	memset(&script, 0, sizeof(script));
	buffer_add(&script, "* SEARCH", 8);
	for (i = 0; i < IMAP_ITEMS_MAX; i++)
		buffer_add(&script, " 1", 2);
	buffer_add(&script, "\r\n", 2);
	read_all(&run, script.data, script.len, 0, 0);
	snprintf(want, sizeof(want), "response with more than %d items: "
	    "\"* SEARCH 1 1 1", IMAP_ITEMS_MAX);
	ok(run.cause != NULL && strncmp(run.cause, want, strlen(want)) == 0,
	    "too many items: %.60s", run.cause);
	run_free(&run);

	/* One fewer is fine (the atom SEARCH is an item too). */
	script.len -= 4;
	buffer_add(&script, "\r\n", 2);
	read_all(&run, script.data, script.len, 0, 0);
	ok(run.out.len == strlen("*: SEARCH\n") + strlen(" #1") *
	    (IMAP_ITEMS_MAX - 1),
	    "100000 items: read (%zu octets rendered)", run.out.len);
	is_str(run.cause, EOF_CAUSE, "100000 items: then EOF");
	run_free(&run);
	free(script.data);

	/* Kept literals each within the maximum, over it together. */
	memset(&script, 0, sizeof(script));
	buffer_add(&script, "* X {600}\r\n", 11);
	for (i = 0; i < 600; i++)
		buffer_add(&script, "y", 1);
	buffer_add(&script, " {600}\r\n", 8);
	read_all(&run, script.data, script.len, 0, 0);
	is_str(run.cause, "literals of one response over the limit of 1024 "
	    "octets: \" {600}\"", "kept literals over the maximum together");
	run_free(&run);
	free(script.data);
}

/* The accessors on odd and missing items. */
static void
test_accessors(void)
{
	struct imap_item	 atom, list;
	long long		 n = 42;

	memset(&atom, 0, sizeof(atom));
	atom.type = IMAP_ATOM;
	atom.string = (char *)"Fetch";
	atom.len = 5;
	memset(&list, 0, sizeof(list));
	list.type = IMAP_LIST;
	list.children = &atom;
	list.count = 1;
	is_int(imap_type(NULL), IMAP_NONE, "NULL: type none");
	is_int(imap_count(NULL), 0, "NULL: no children");
	ok(imap_child(NULL, 0) == NULL, "NULL: no child");
	ok(imap_string(NULL) == NULL, "NULL: no string");
	ok(imap_number(NULL, &n) == -1 && n == 42, "NULL: no number");
	ok(!imap_is_atom(NULL, "FETCH"), "NULL: no atom");
	ok(imap_is_atom(&atom, "FETCH"), "atom: compared ignoring case");
	ok(!imap_is_atom(&atom, "FETCHX") && !imap_is_atom(&atom, "FETC"),
	    "atom: whole word");
	ok(imap_number(&atom, &n) == -1, "atom: no number");
	is_int(imap_count(&atom), 0, "atom: no children");
	ok(imap_child(&list, 0) == &atom && imap_child(&list, 1) == NULL,
	    "list: child in range only");
	ok(imap_string(&list) == NULL, "list: no string");
}

int
main(void)
{
	test_cases();
	test_stream_context();
	test_stream_big();
	test_bounds();
	test_accessors();
	return done_testing();
}
