/*
 * IMAP folders: LIST for the server's hierarchy delimiter and for "*"
 * (every selectable folder), and the names. Folder names are shown
 * (configured, logged, indexed) in UTF-8 with "/" between levels; on the
 * wire they are modified UTF-7 with the server's delimiter.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "driver.h"
#include "imap_session.h"
#include "imap_utf7.h"
#include "log.h"
#include "xmalloc.h"

/* The shown name of a wire name: UTF-8, "/" between levels. */
static char *
imap_shown_name(const struct imap *i, const char *wire)
{
	char	*shown, *c;

	if ((shown = imap_utf7_decode(wire)) == NULL)
		shown = xstrdup(wire);	/* not canonical: shown as sent */
	if (i->delimiter != '\0' && i->delimiter != '/' &&
	    strchr(shown, '/') == NULL) {
		for (c = shown; *c != '\0'; c++) {
			if (*c == i->delimiter)
				*c = '/';
		}
	}
	return shown;
}

/* The wire name of a shown name (LIST's own, if it listed it). */
char *
imap_wire_name(const struct imap *i, const char *shown, char **cause)
{
	char	*wire, *c;
	size_t	 n;

	if (strcasecmp(shown, "INBOX") == 0)
		return xstrdup("INBOX");
	for (n = 0; i->listed != NULL && i->listed[n] != NULL; n += 2) {
		if (strcmp(i->listed[n], shown) == 0)
			return xstrdup(i->listed[n + 1]);
	}
	if ((wire = imap_utf7_encode(shown)) == NULL) {
		xasprintf(cause, "folder name is not valid UTF-8");
		return NULL;
	}
	if (i->delimiter != '\0' && i->delimiter != '/') {
		for (c = wire; *c != '\0'; c++) {
			if (*c == '/')
				*c = i->delimiter;
		}
	}
	return wire;
}

/* Add name to a NULL-terminated list unless it is there. */
static void
imap_add_name(char ***names, size_t *count, const char *name)
{
	size_t	 n;

	for (n = 0; n < *count; n++) {
		if (strcmp((*names)[n], name) == 0 ||
		    (strcasecmp(name, "INBOX") == 0 &&
		    strcasecmp((*names)[n], "INBOX") == 0))
			return;
	}
	*names = xreallocarray(*names, *count + 2, sizeof(**names));
	(*names)[(*count)++] = xstrdup(name);
	(*names)[*count] = NULL;
}

/* What LIST gathers: the shown names, and shown/wire pairs. */
struct imap_listing {
	char	**names;
	size_t	  count;
	char	**pairs;
	size_t	  npairs;
};

/* One "* LIST (flags) delimiter name" response. */
static int
imap_list_response(struct imap *i, const struct imap_response *r, void *arg,
    char **cause)
{
	struct imap_listing	*l = arg;
	const struct imap_item	*flags, *delimiter, *name, *flag;
	const char		*wire, *d;
	char			*shown;
	size_t			 n;

	(void)cause;
	if (!imap_is_atom(imap_child(&r->items, 0), "LIST"))
		return 0;
	flags = imap_child(&r->items, 1);
	delimiter = imap_child(&r->items, 2);
	name = imap_child(&r->items, 3);
	if (imap_type(flags) != IMAP_LIST || (wire = imap_string(name)) ==
	    NULL || memchr(wire, '\0', name->len) != NULL) {
		log_warnx("account=%s host=%s: LIST response ignored: %s",
		    i->account, i->host, r->shown);
		return 0;
	}
	if ((d = imap_string(delimiter)) != NULL && strlen(d) == 1)
		i->delimiter = *d;
	if (l == NULL || *wire == '\0')
		return 0;	/* LIST "" "": the delimiter only */
	for (n = 0; n < imap_count(flags); n++) {
		flag = imap_child(flags, n);
		if (imap_is_atom(flag, "\\Noselect") ||
		    imap_is_atom(flag, "\\NonExistent"))
			return 0;
	}
	shown = imap_shown_name(i, wire);
	if (strcasecmp(shown, "INBOX") != 0) {
		l->pairs = xreallocarray(l->pairs, l->npairs + 3,
		    sizeof(*l->pairs));
		l->pairs[l->npairs++] = xstrdup(shown);
		l->pairs[l->npairs++] = xstrdup(wire);
		l->pairs[l->npairs] = NULL;
	}
	imap_add_name(&l->names, &l->count, shown);
	free(shown);
	return 0;
}

/* LIST "" pattern. */
static int
imap_list(struct imap *i, const char *pattern, struct imap_listing *l,
    char **cause)
{
	char	 tag[IMAP_TAG_MAX + 1];
	int	 rc;

	if (imap_command(i, tag, cause, NULL, "LIST \"\" \"%s\"",
	    pattern) != 0 ||
	    (rc = imap_wait(i, tag, imap_list_response, l, cause)) == -1)
		return -1;
	if (rc != IMAP_OK) {
		xasprintf(cause, "LIST: %s", i->reply);
		return -1;
	}
	return 0;
}

int
imap_folders(void *session, const struct account *account,
    char ***folders, char **cause)
{
	struct imap		*i = session;
	struct imap_listing	 l;
	char		       **names = NULL;
	size_t			 count = 0, n;
	int			 rc = -1;

	memset(&l, 0, sizeof(l));
	if (imap_list(i, "", NULL, cause) != 0)
		return -1;
	for (n = 0; account->folders != NULL && account->folders[n] != NULL;
	    n++) {
		if (strcmp(account->folders[n], "*") != 0) {
			imap_add_name(&names, &count, account->folders[n]);
			continue;
		}
		if (l.names == NULL && imap_list(i, "*", &l, cause) != 0)
			goto out;
		for (size_t k = 0; k < l.count; k++)
			imap_add_name(&names, &count, l.names[k]);
	}
	if (count == 0)
		imap_add_name(&names, &count, "INBOX");
	xfreev(i->listed);
	i->listed = l.pairs;
	l.pairs = NULL;
	*folders = names;
	names = NULL;
	rc = 0;
out:
	xfreev(names);
	xfreev(l.names);
	xfreev(l.pairs);
	return rc;
}
