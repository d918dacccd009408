/*
 * Mail addresses: RFC 5322 address-list parsing (display names, quoted
 * strings, nested comments, groups, obsolete routes), the validity check
 * for envelope addresses, and the lower-cased normal form. The parser is
 * one iterative pass over the value: no recursion, linear work, and it
 * never reads past the terminating NUL whatever the input looks like.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "xmalloc.h"

enum token_type {
	TOKEN_END,
	TOKEN_ATOM,		/* run of atom characters */
	TOKEN_QUOTED,		/* "..." (start/len: between the quotes) */
	TOKEN_LITERAL,		/* [...] (start/len: with the brackets) */
	TOKEN_SPECIAL		/* one of < > @ , ; : . */
};

struct token {
	enum token_type	 type;
	const char	*start;
	size_t		 len;
	char		 special;
};

/* A growable string that is always NUL-terminated. */
struct text {
	char	*data;
	size_t	 len;
	size_t	 size;
};

/* What has been seen of the mailbox being parsed. */
struct mailbox {
	struct text	 spec;		/* tokens outside <>: a bare addr-spec */
	struct text	 angle;		/* tokens inside the first <> */
	int		 in_angle;
	int		 have_angle;
	int		 in_route;	/* <@a,@b: ... before the ':' */
	int		 spec_word;	/* last thing in spec was a word */
	int		 angle_word;	/* likewise in angle */
};

static const char address_specials[] = "()<>[]:;@\\,.\"";

/* Characters allowed unquoted in a local part (atext, and the dot). */
static int
address_atext(unsigned char c)
{
	if (isalnum(c) || c == '.' || c >= 0x80)
		return 1;
	return strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL && c != '\0';
}

/* Whether s[0..len) is a dot-atom: atext runs joined by single dots. */
static int
address_dot_atom(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0 || s[0] == '.' || s[len - 1] == '.')
		return 0;
	for (i = 0; i < len; i++) {
		if (!address_atext((unsigned char)s[i]))
			return 0;
		if (s[i] == '.' && i + 1 < len && s[i + 1] == '.')
			return 0;
	}
	return 1;
}

/* Append len bytes to a text. */
static void
text_add(struct text *t, const char *s, size_t len)
{
	size_t	 need;

	need = t->len + len + 1;
	if (need > t->size) {
		t->size = need > 2 * t->size ? need : 2 * t->size;
		t->data = xreallocarray(t->data, t->size, 1);
	}
	memcpy(t->data + t->len, s, len);
	t->len += len;
	t->data[t->len] = '\0';
}

const char *
address_skip_cfws(const char *p)
{
	size_t	 depth;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (*p != '(')
			return p;
		depth = 0;
		while (*p != '\0') {
			if (*p == '\\' && p[1] != '\0')
				p++;
			else if (*p == '(')
				depth++;
			else if (*p == ')' && --depth == 0) {
				p++;
				break;
			}
			p++;
		}
	}
}

/* Read the next token at *pp into t; returns the token type. */
static enum token_type
address_next(const char **pp, struct token *t)
{
	const char	*p;
	char		 close;

	p = address_skip_cfws(*pp);
	t->start = p;
	t->len = 0;
	t->special = '\0';
	if (*p == '\0')
		t->type = TOKEN_END;
	else if (*p == '"' || *p == '[') {
		close = *p == '"' ? '"' : ']';
		t->type = *p == '"' ? TOKEN_QUOTED : TOKEN_LITERAL;
		t->start = ++p;
		while (*p != '\0' && *p != close) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			p++;
		}
		t->len = p - t->start;
		if (*p == close)
			p++;
		if (t->type == TOKEN_LITERAL) {
			/* keep the brackets: the literal is copied as is */
			t->start--;
			t->len = p - t->start;
		}
	} else if (strchr("<>@,;:.", *p) != NULL) {
		t->type = TOKEN_SPECIAL;
		t->special = *p++;
		t->len = 1;
	} else if (*p == ')' || *p == ']') {
		/* stray closing bracket: part of an atom, so it invalidates */
		t->type = TOKEN_ATOM;
		t->len = 1;
		p++;
	} else {
		t->type = TOKEN_ATOM;
		while (*p != '\0' && *p != ' ' && *p != '\t' && *p != '\r' &&
		    *p != '\n' && strchr(address_specials, *p) == NULL)
			p++;
		if (p == t->start)	/* a lone backslash */
			p++;
		t->len = p - t->start;
	}
	*pp = p;
	return t->type;
}

/*
 * Append a token to an addr-spec being built. Two words in a row (display
 * name words, or junk) are joined by a space, which address_valid refuses.
 */
static void
address_add_token(struct text *t, int *word, const struct token *tok)
{
	struct text	 decoded = { NULL, 0, 0 };
	size_t		 i;

	if (tok->type == TOKEN_SPECIAL) {
		text_add(t, &tok->special, 1);
		*word = 0;
		return;
	}
	if (*word)
		text_add(t, " ", 1);
	*word = 1;
	if (tok->type != TOKEN_QUOTED) {
		text_add(t, tok->start, tok->len);
		return;
	}
	for (i = 0; i < tok->len; i++) {
		if (tok->start[i] == '\\' && i + 1 < tok->len)
			i++;
		text_add(&decoded, tok->start + i, 1);
	}
	if (decoded.len > 0 && address_dot_atom(decoded.data, decoded.len))
		text_add(t, decoded.data, decoded.len);
	else {
		/* keep it quoted, escaping only what must be escaped */
		text_add(t, "\"", 1);
		for (i = 0; i < decoded.len; i++) {
			if (decoded.data[i] == '"' || decoded.data[i] == '\\')
				text_add(t, "\\", 1);
			text_add(t, decoded.data + i, 1);
		}
		text_add(t, "\"", 1);
	}
	free(decoded.data);
}

/* Addresses found so far, in an array that grows geometrically. */
struct found {
	char	**list;
	size_t	  count;
	size_t	  size;
};

/* The mailbox is complete: keep its address (if any) and reset. */
static void
address_finish(struct mailbox *m, struct found *f)
{
	struct text	*found;

	found = m->have_angle || m->in_angle ? &m->angle : &m->spec;
	if (found->len > 0) {
		if (f->count == f->size) {
			f->size = f->size == 0 ? 8 : 2 * f->size;
			f->list = xreallocarray(f->list, f->size,
			    sizeof(*f->list));
		}
		f->list[f->count++] = xstrdup(found->data);
	}
	m->spec.len = m->angle.len = 0;
	m->in_angle = m->have_angle = m->in_route = 0;
	m->spec_word = m->angle_word = 0;
}

/*
 * Handle one token inside <...>: an obsolete route "@a,@b:" is skipped,
 * ">" closes. A ',' or ';' outside a route also closes (a missing '>'),
 * and is then handled as a separator: returns 1 in that case.
 */
static int
address_angle_token(struct mailbox *m, const struct token *t)
{
	if (m->in_route) {
		if (t->type != TOKEN_SPECIAL)
			return 0;
		switch (t->special) {
		case ':':
			m->in_route = 0;
			return 0;
		case '>':
			m->in_angle = m->in_route = 0;
			m->have_angle = 1;
			return 0;
		case ';':
			m->in_angle = m->in_route = 0;
			m->have_angle = 1;
			return 1;
		}
		return 0;
	}
	if (t->type == TOKEN_SPECIAL) {
		switch (t->special) {
		case '>':
			m->in_angle = 0;
			m->have_angle = 1;
			return 0;
		case '@':
			if (m->angle.len == 0) {
				m->in_route = 1;
				return 0;
			}
			break;
		case ',':
		case ';':
			m->in_angle = 0;
			m->have_angle = 1;
			return 1;
		}
	}
	address_add_token(&m->angle, &m->angle_word, t);
	return 0;
}

/*
 * The addr-specs of an address list, valid or not, in order. Entries that
 * are not addresses at all (empty, "<>") are left out.
 */
static size_t
address_list_collect(const char *value, char ***list, size_t *count,
    int valid_only)
{
	struct mailbox	 m;
	struct found	 f = { NULL, 0, 0 };
	struct token	 t;
	size_t		 i, added = 0;
	const char	*p = value;

	memset(&m, 0, sizeof(m));
	while (address_next(&p, &t) != TOKEN_END) {
		if (m.in_angle) {
			if (!address_angle_token(&m, &t))
				continue;
		} else if (m.have_angle) {
			/* after <addr>: only a separator matters */
			if (t.type != TOKEN_SPECIAL ||
			    (t.special != ',' && t.special != ';'))
				continue;
		}
		if (t.type == TOKEN_SPECIAL) {
			switch (t.special) {
			case '<':
				m.in_angle = 1;
				m.angle.len = 0;
				m.angle_word = 0;
				continue;
			case ',':
			case ';':
				address_finish(&m, &f);
				continue;
			case ':':
				/* a group's display name: not an address */
				m.spec.len = 0;
				m.spec_word = 0;
				continue;
			case '>':
				continue;
			}
		}
		address_add_token(&m.spec, &m.spec_word, &t);
	}
	address_finish(&m, &f);
	free(m.spec.data);
	free(m.angle.data);

	/* one reallocation of the caller's list, whatever the count */
	*list = xreallocarray(*list, *count + f.count, sizeof(**list));
	for (i = 0; i < f.count; i++) {
		if (valid_only && !address_valid(f.list[i])) {
			free(f.list[i]);
			continue;
		}
		(*list)[(*count)++] = f.list[i];
		added++;
	}
	free(f.list);
	return added;
}

size_t
address_list_parse(const char *value, char ***list, size_t *count)
{
	return address_list_collect(value, list, count, 1);
}

size_t
address_list_split(const char *value, char ***list, size_t *count)
{
	return address_list_collect(value, list, count, 0);
}

/* Whether the domain is dot-separated labels of letters, digits, '-'. */
static int
address_domain_valid(const char *d)
{
	size_t	 label = 0;

	if (*d == '\0')
		return 0;
	for (; *d != '\0'; d++) {
		if (*d == '.') {
			if (label == 0 || d[-1] == '-')
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)*d) && *d != '-')
			return 0;
		if (*d == '-' && label == 0)
			return 0;
		if (++label > 63)
			return 0;
	}
	return label > 0 && d[-1] != '-';
}

/*
 * A local part: unquoted atext and dots, or a quoted string whose content
 * is printable without spaces, quotes or backslashes (so it needs no
 * escapes and survives every MTA's argv parsing).
 */
static int
address_local_valid(const char *s, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	if (s[0] == '"') {
		if (len < 3 || s[len - 1] != '"')
			return 0;
		for (i = 1; i < len - 1; i++) {
			if (s[i] <= ' ' || s[i] > '~' || s[i] == '"' ||
			    s[i] == '\\')
				return 0;
		}
		return 1;
	}
	for (i = 0; i < len; i++) {
		if (!address_atext((unsigned char)s[i]))
			return 0;
	}
	return 1;
}

int
address_valid(const char *s)
{
	const char	*at;
	size_t		 len;

	len = strnlen(s, ADDRESS_MAX + 1);
	if (len == 0 || len > ADDRESS_MAX || s[0] == '-')
		return 0;
	if ((at = strrchr(s, '@')) == NULL)
		return 0;
	return address_local_valid(s, at - s) && address_domain_valid(at + 1);
}

int
address_usable(const char *s)
{
	size_t	 i;

	if (s == NULL || *s == '\0' || *s == '-')
		return 0;
	if (address_valid(s))
		return 1;
	for (i = 0; s[i] != '\0'; i++) {
		if (!isalnum((unsigned char)s[i]) && strchr(".-_+=", s[i])
		    == NULL)
			return 0;
	}
	return i <= ADDRESS_MAX;
}

const char *
address_domain(const char *s)
{
	const char	*at;

	if ((at = strrchr(s, '@')) == NULL)
		return NULL;
	return at + 1;
}

char *
address_lower(const char *s)
{
	char	*copy, *p;

	copy = xstrdup(s);
	for (p = copy; *p != '\0'; p++)
		*p = tolower((unsigned char)*p);
	return copy;
}

int
address_listed(const char *const *list, size_t count, const char *address)
{
	size_t	 i;

	for (i = 0; i < count; i++) {
		if (strcasecmp(list[i], address) == 0)
			return 1;
	}
	return 0;
}
