/*
 * postfetch.conf: Postfix main.cf syntax ("name = value", whole-line "#"
 * comments, lines starting with white space continue the logical line)
 * read into struct conf. Every key is described once, in conf_keys[]: its
 * type, default, limits and extra check; defaults go through the same
 * parser as the file, so a default can never be something the file could
 * not say.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "address.h"
#include "conf.h"
#include "log.h"
#include "schedule.h"
#include "xmalloc.h"

enum conf_type {
	CONF_STRING,		/* char * */
	CONF_COMMAND,		/* char * as written, char ** split */
	CONF_NUMBER,		/* int, min..max */
	CONF_TIME,		/* int seconds, min..max, Postfix units */
	CONF_FACILITY,		/* int, and the name as written */
	CONF_BYTES,		/* long long, min..max; empty = -1 (unset) */
};

struct conf_key {
	const char	*name;
	enum conf_type	 type;
	const char	*value;		/* the default */
	/* NUMBER, TIME, BYTES: the range; STRING: min 1 = not empty. */
	long long	 min, max;
	/* Extra check of a STRING or COMMAND: NULL if fine, else why not. */
	const char	*(*check)(const char *);
	size_t		 offset;	/* of the value in struct conf */
	size_t		 extra;		/* of the argv or facility name */
};

static const char	*conf_check_absolute(const char *);
static const char	*conf_check_command(const char *);
static const char	*conf_check_socket(const char *);
static const char	*conf_check_word(const char *);
static const char	*conf_check_address(const char *);
static const char	*conf_check_ident(const char *);
static const char	*conf_check_sendmail_mode(const char *);
static const char	*conf_check_size_mismatch(const char *);
static const char	*conf_check_schedule(const char *);

static const struct conf_key conf_keys[] = {
	{ "database", CONF_STRING, "dbname=postfetch", 0, 0, NULL,
	  offsetof(struct conf, database), 0 },
	{ "sendmail_path", CONF_COMMAND, "/usr/sbin/sendmail", 1, 0,
	  conf_check_command, offsetof(struct conf, sendmail_path),
	  offsetof(struct conf, sendmail_argv) },
	{ "message_size_limit", CONF_BYTES, "", 0, LLONG_MAX, NULL,
	  offsetof(struct conf, message_size_limit), 0 },
	{ "postmaster", CONF_STRING, "postmaster", 1, 0, conf_check_address,
	  offsetof(struct conf, postmaster), 0 },
	{ "secret_file", CONF_STRING, "/etc/postfetch/secret", 1, 0,
	  conf_check_absolute, offsetof(struct conf, secret_file), 0 },
	{ "milter_socket", CONF_STRING, "unix:/run/postfetch/milter.sock", 1,
	  0, conf_check_socket, offsetof(struct conf, milter_socket), 0 },
	{ "milter_state_file", CONF_STRING, "/var/lib/postfetch/milter.state",
	  1, 0, conf_check_absolute, offsetof(struct conf, milter_state_file),
	  0 },
	{ "max_parallel", CONF_NUMBER, "10", 1, 1000, NULL,
	  offsetof(struct conf, max_parallel), 0 },
	{ "max_per_host", CONF_NUMBER, "2", 1, 100, NULL,
	  offsetof(struct conf, max_per_host), 0 },
	{ "default_schedule", CONF_STRING, "", 0, 0, conf_check_schedule,
	  offsetof(struct conf, default_schedule), 0 },
	{ "timeout", CONF_TIME, "60s", 1, 3600, NULL,
	  offsetof(struct conf, timeout), 0 },
	{ "max_sendmail", CONF_NUMBER, "0", 0, 64, NULL,
	  offsetof(struct conf, max_sendmail), 0 },
	{ "sendmail_mode", CONF_STRING, "session", 1, 0,
	  conf_check_sendmail_mode, offsetof(struct conf, sendmail_mode), 0 },
	{ "size_mismatch", CONF_STRING, "refuse", 1, 0,
	  conf_check_size_mismatch, offsetof(struct conf, size_mismatch), 0 },
	{ "spool_directory", CONF_STRING, "/var/tmp", 1, 0,
	  conf_check_absolute, offsetof(struct conf, spool_directory), 0 },
	{ "user", CONF_STRING, "postfetch", 1, 0, conf_check_word,
	  offsetof(struct conf, user), 0 },
	{ "token_command", CONF_COMMAND, "", 0, 0, conf_check_command,
	  offsetof(struct conf, token_command),
	  offsetof(struct conf, token_argv) },
	{ "syslog_facility", CONF_FACILITY, "mail", 0, 0, NULL,
	  offsetof(struct conf, syslog_facility),
	  offsetof(struct conf, syslog_facility_name) },
	{ "syslog_name", CONF_STRING, "postfetch", 1, 0, conf_check_ident,
	  offsetof(struct conf, syslog_name), 0 },
};
#define CONF_NKEYS	(sizeof(conf_keys) / sizeof(conf_keys[0]))

/* Postfix time units: letter and seconds. */
static const struct {
	char		 unit;
	long long	 seconds;
} conf_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	{ 'w', 604800 },
};

/* The state of one parse: where we are, for messages. */
struct conf_parser {
	struct conf	*conf;
	const char	*name;		/* file name for messages */
	int		 set[CONF_NKEYS];	/* line where a key was set */
};

/* White space as Postfix sees it (so a CR before LF is trimmed too). */
static int
conf_isspace(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* The field of conf at offset, as what the key's type stores there. */
static char **
conf_field_string(struct conf *conf, size_t offset)
{
	return (char **)((char *)conf + offset);
}

static char ***
conf_field_argv(struct conf *conf, size_t offset)
{
	return (char ***)((char *)conf + offset);
}

static int *
conf_field_int(struct conf *conf, size_t offset)
{
	return (int *)((char *)conf + offset);
}

static long long *
conf_field_long(struct conf *conf, size_t offset)
{
	return (long long *)((char *)conf + offset);
}

/* A path that does not depend on the working directory. */
static const char *
conf_check_absolute(const char *value)
{
	if (value[0] != '/')
		return "must be an absolute path";
	return NULL;
}

/* A command: empty (when allowed at all) or an absolute program path. */
static const char *
conf_check_command(const char *value)
{
	if (value[0] != '\0' && value[0] != '/')
		return "the program must be an absolute path";
	return NULL;
}

/* One word: no white space inside (user names, addresses). */
static const char *
conf_check_word(const char *value)
{
	for (; *value != '\0'; value++) {
		if (conf_isspace((unsigned char)*value))
			return "must not contain white space";
	}
	return NULL;
}

/* An address mail may be sent from and to: postmaster. */
static const char *
conf_check_address(const char *value)
{
	if (!address_usable(value))
		return "not an address or a local name (nor may it start "
		    "with '-')";
	return NULL;
}

/* A syslog ident: one word that fits log.c's buffer. */
static const char *
conf_check_ident(const char *value)
{
	if (strlen(value) > 63)
		return "longer than 63 characters";
	return conf_check_word(value);
}

/* How messages go to sendmail: sessions of "-bs", or "-i" each. */
static const char *
conf_check_sendmail_mode(const char *value)
{
	if (strcmp(value, "session") != 0 && strcmp(value, "message") != 0)
		return "must be session or message";
	return NULL;
}

/* A message whose size is not the one announced: refuse or deliver. */
static const char *
conf_check_size_mismatch(const char *value)
{
	if (strcmp(value, "refuse") != 0 && strcmp(value, "deliver") != 0)
		return "must be refuse or deliver";
	return NULL;
}

/*
 * A schedule (schedule.h). The cause goes through a static buffer, as
 * checks return a constant string: a configuration is read by one thread
 * at a time (at start-up, and on SIGHUP by the daemon).
 */
static const char *
conf_check_schedule(const char *value)
{
	static char	 why[256];
	struct schedule	 schedule;
	char		*cause = NULL;

	if (schedule_parse(value, &schedule, &cause) == 0)
		return NULL;
	strlcpy(why, cause, sizeof(why));
	free(cause);
	return why;
}

/* A decimal port 1..65535. */
static int
conf_valid_port(const char *port, size_t len)
{
	char		 buf[8];
	const char	*errstr;
	size_t		 i;

	if (len == 0 || len >= sizeof(buf))
		return 0;
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)port[i]))
			return 0;
	}
	memcpy(buf, port, len);
	buf[len] = '\0';
	strtonum(buf, 1, 65535, &errstr);
	return errstr == NULL;
}

/*
 * libmilter socket syntax: unix:/path, local:/path, inet:port[@host],
 * inet6:port[@host].
 */
static const char *
conf_check_socket(const char *value)
{
	const char	*path, *port, *at;

	if (strncmp(value, "unix:", 5) == 0 ||
	    strncmp(value, "local:", 6) == 0) {
		path = strchr(value, ':') + 1;
		if (path[0] != '/')
			return "the socket must be an absolute path";
		if (strlen(path) > 107)
			return "the socket path is longer than 107 bytes";
		return conf_check_word(path);
	}
	if (strncmp(value, "inet:", 5) == 0 ||
	    strncmp(value, "inet6:", 6) == 0) {
		port = strchr(value, ':') + 1;
		at = strchr(port, '@');
		if (!conf_valid_port(port, at == NULL ? strlen(port) :
		    (size_t)(at - port)))
			return "the port must be a number 1..65535";
		if (at != NULL && at[1] == '\0')
			return "empty host after '@'";
		return conf_check_word(port);
	}
	return "must be unix:/path, local:/path, inet:port@host or "
	    "inet6:port@host";
}

/* Split a command on white space into a NULL-terminated argv. */
static char **
conf_split(const char *value)
{
	char		**argv = NULL;
	const char	 *p = value, *start;
	size_t		  n = 0;

	for (;;) {
		while (conf_isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			break;
		start = p;
		while (*p != '\0' && !conf_isspace((unsigned char)*p))
			p++;
		argv = xreallocarray(argv, n + 2, sizeof(*argv));
		argv[n++] = xstrndup(start, p - start);
	}
	if (argv != NULL)
		argv[n] = NULL;
	return argv;
}

/*
 * A number with an optional Postfix time unit (s, m, h, d, w; none means
 * seconds) into *seconds. Returns NULL or why not.
 */
static const char *
conf_parse_time(const char *value, long long *seconds)
{
	char		 digits[32];
	const char	*errstr;
	long long	 number, unit = 1;
	size_t		 len, i;

	len = strlen(value);
	if (len > 0 && isalpha((unsigned char)value[len - 1])) {
		for (i = 0; i < sizeof(conf_units) / sizeof(conf_units[0]);
		    i++) {
			if (conf_units[i].unit == value[len - 1])
				break;
		}
		if (i == sizeof(conf_units) / sizeof(conf_units[0]))
			return "bad time unit (use s, m, h, d or w)";
		unit = conf_units[i].seconds;
		len--;
	}
	if (len == 0 || len >= sizeof(digits))
		return "not a time (a number and a unit: 300s, 5m, 1h)";
	for (i = 0; i < len; i++) {
		if (!isdigit((unsigned char)value[i]))
			return "not a time (a number and a unit: 300s, 5m, 1h)";
	}
	memcpy(digits, value, len);
	digits[len] = '\0';
	number = strtonum(digits, 0, LLONG_MAX / 604800, &errstr);
	if (errstr != NULL)
		return "time too large";
	*seconds = number * unit;
	return NULL;
}

/*
 * Parse value for key into conf, replacing what was there. Returns 0, or
 * -1 with *why set (allocated; the caller adds file, line and key).
 */
static int
conf_set(struct conf *conf, const struct conf_key *key, const char *value,
    char **why)
{
	const char	*errstr;
	long long	 number;
	int		 facility;

	switch (key->type) {
	case CONF_STRING:
	case CONF_COMMAND:
		if (key->min > 0 && value[0] == '\0') {
			*why = xstrdup("must not be empty");
			return -1;
		}
		if (key->check != NULL && (errstr = key->check(value)) != NULL) {
			xasprintf(why, "%s", errstr);
			return -1;
		}
		free(*conf_field_string(conf, key->offset));
		*conf_field_string(conf, key->offset) = xstrdup(value);
		if (key->type == CONF_COMMAND) {
			xfreev(*conf_field_argv(conf, key->extra));
			*conf_field_argv(conf, key->extra) = conf_split(value);
		}
		return 0;
	case CONF_NUMBER:
	case CONF_BYTES:
		if (key->type == CONF_BYTES && value[0] == '\0') {
			*conf_field_long(conf, key->offset) = -1;
			return 0;
		}
		if (value[0] == '\0' ||
		    strspn(value, "0123456789") != strlen(value)) {
			xasprintf(why, "\"%s\" is not a number%s", value,
			    key->type == CONF_BYTES ? " of bytes" : "");
			return -1;
		}
		number = strtonum(value, key->min, key->max, &errstr);
		if (errstr != NULL) {
			xasprintf(why, "\"%s\" is out of range (%lld..%lld)",
			    value, key->min, key->max);
			return -1;
		}
		if (key->type == CONF_BYTES)
			*conf_field_long(conf, key->offset) = number;
		else
			*conf_field_int(conf, key->offset) = (int)number;
		return 0;
	case CONF_TIME:
		if ((errstr = conf_parse_time(value, &number)) != NULL) {
			xasprintf(why, "\"%s\": %s", value, errstr);
			return -1;
		}
		if (number < key->min || number > key->max) {
			xasprintf(why, "\"%s\" is out of range (%llds..%llds)",
			    value, key->min, key->max);
			return -1;
		}
		*conf_field_int(conf, key->offset) = (int)number;
		return 0;
	case CONF_FACILITY:
		if ((facility = log_facility_byname(value)) == -1) {
			xasprintf(why, "\"%s\" is not a syslog facility "
			    "(mail, daemon, user, local0..local7)", value);
			return -1;
		}
		*conf_field_int(conf, key->offset) = facility;
		free(*conf_field_string(conf, key->extra));
		*conf_field_string(conf, key->extra) = xstrdup(value);
		return 0;
	}
	fatalx("%s: bad type %d", __func__, (int)key->type);
}

/* Set every key to its default. */
static void
conf_defaults(struct conf *conf)
{
	size_t	 i;
	char	*why;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (conf_set(conf, &conf_keys[i], conf_keys[i].value,
		    &why) != 0)
			fatalx("default of %s: %s", conf_keys[i].name, why);
	}
}

void
conf_free(struct conf *conf)
{
	size_t	 i;

	free(conf->path);
	for (i = 0; i < CONF_NKEYS; i++) {
		switch (conf_keys[i].type) {
		case CONF_COMMAND:
			xfreev(*conf_field_argv(conf,
			    conf_keys[i].extra));
			/* FALLTHROUGH */
		case CONF_STRING:
			free(*conf_field_string(conf, conf_keys[i].offset));
			break;
		case CONF_FACILITY:
			free(*conf_field_string(conf, conf_keys[i].extra));
			break;
		default:
			break;
		}
	}
	memset(conf, 0, sizeof(*conf));
}

/* The key called name, or NULL. */
static const struct conf_key *
conf_find(const char *name)
{
	size_t	 i;

	for (i = 0; i < CONF_NKEYS; i++) {
		if (strcmp(conf_keys[i].name, name) == 0)
			return &conf_keys[i];
	}
	return NULL;
}

/* Trim white space at both ends of s in place; returns the new start. */
static char *
conf_trim(char *s)
{
	char	*end;

	while (conf_isspace((unsigned char)*s))
		s++;
	end = s + strlen(s);
	while (end > s && conf_isspace((unsigned char)end[-1]))
		*--end = '\0';
	return s;
}

/* Handle one logical line ("name = value") that starts at line lineno. */
static int
conf_line(struct conf_parser *parser, char *line, int lineno, char **cause)
{
	const struct conf_key	*key;
	char			*equal, *name, *value, *why, *p;
	size_t			 index;

	if ((equal = strchr(line, '=')) == NULL) {
		xasprintf(cause, "%s:%d: missing '=' (expected name = value)",
		    parser->name, lineno);
		return -1;
	}
	*equal = '\0';
	name = conf_trim(line);
	value = conf_trim(equal + 1);
	if (*name == '\0') {
		xasprintf(cause, "%s:%d: missing name before '='",
		    parser->name, lineno);
		return -1;
	}
	for (p = name; *p != '\0'; p++) {
		if (!isalnum((unsigned char)*p) && *p != '_') {
			xasprintf(cause, "%s:%d: bad parameter name",
			    parser->name, lineno);
			return -1;
		}
	}
	if ((key = conf_find(name)) == NULL) {
		xasprintf(cause, "%s:%d: %s: unknown parameter", parser->name,
		    lineno, name);
		return -1;
	}
	index = key - conf_keys;
	if (parser->set[index] != 0) {
		xasprintf(cause, "%s:%d: %s: duplicate (already set at line "
		    "%d)", parser->name, lineno, name, parser->set[index]);
		return -1;
	}
	parser->set[index] = lineno;
	if (conf_set(parser->conf, key, value, &why) != 0) {
		xasprintf(cause, "%s:%d: %s: %s", parser->name, lineno, name,
		    why);
		free(why);
		return -1;
	}
	return 0;
}

/* Parse buf into conf (defaults already set). */
static int
conf_parse_lines(struct conf_parser *parser, const char *buf, size_t len,
    char **cause)
{
	const char	*line, *end, *next, *p;
	char		*logical = NULL;
	size_t		 used = 0, n;
	int		 lineno = 0, start = 0, continued;

	logical = xmalloc(CONF_LINE_MAX + 1);
	for (line = buf; line < buf + len; line = next) {
		lineno++;
		if ((end = memchr(line, '\n', buf + len - line)) == NULL)
			end = buf + len;
		next = end < buf + len ? end + 1 : end;
		if (memchr(line, '\0', end - line) != NULL) {
			xasprintf(cause, "%s:%d: NUL byte in line",
			    parser->name, lineno);
			goto fail;
		}
		for (p = line; p < end && conf_isspace((unsigned char)*p); p++)
			;
		if (p == end || *p == '#')
			continue;	/* blank or comment: Postfix skips it */
		continued = p != line;
		if (continued && start == 0) {
			xasprintf(cause, "%s:%d: line starts with white space "
			    "but there is no line before it to continue",
			    parser->name, lineno);
			goto fail;
		}
		if (!continued && start != 0) {
			logical[used] = '\0';
			if (conf_line(parser, logical, start, cause) != 0)
				goto fail;
			used = 0;
		}
		if (!continued)
			start = lineno;
		n = end - p;
		if (used + (continued ? 1 : 0) + n > CONF_LINE_MAX) {
			xasprintf(cause, "%s:%d: line longer than %d bytes",
			    parser->name, start, CONF_LINE_MAX);
			goto fail;
		}
		if (continued) {
			while (used > 0 &&
			    conf_isspace((unsigned char)logical[used - 1]))
				used--;
			logical[used++] = ' ';
		}
		memcpy(logical + used, p, n);
		used += n;
	}
	if (start != 0) {
		logical[used] = '\0';
		if (conf_line(parser, logical, start, cause) != 0)
			goto fail;
	}
	free(logical);
	return 0;

fail:
	free(logical);
	return -1;
}

int
conf_parse(struct conf *conf, const char *name, const char *buf, size_t len,
    char **cause)
{
	struct conf_parser	 parser;

	memset(conf, 0, sizeof(*conf));
	conf->path = xstrdup(name);
	conf_defaults(conf);
	memset(&parser, 0, sizeof(parser));
	parser.conf = conf;
	parser.name = name;
	if (conf_parse_lines(&parser, buf, len, cause) != 0) {
		conf_free(conf);
		return -1;
	}
	return 0;
}

/*
 * Whether a libpq conninfo holds a password: a password keyword with a
 * value ("password=x", "password = 'x y'"), or a URI whose user part has
 * one ("postgresql://u:x@host/db") or whose query names it
 * ("...?password=x").
 */
static int
conf_has_password(const char *conninfo)
{
	const char	*p = conninfo, *end, *key;
	size_t		 keylen;

	if (strncmp(p, "postgresql://", 13) == 0 ||
	    strncmp(p, "postgres://", 11) == 0) {
		p = strchr(p, '/') + 2;
		end = p + strcspn(p, "/?");
		key = memchr(p, '@', end - p);
		if (key != NULL && memchr(p, ':', key - p) != NULL)
			return 1;
		if ((p = strchr(end, '?')) == NULL)
			return 0;
		for (p++; *p != '\0'; p += strcspn(p, "&"), p += *p == '&') {
			if (strncmp(p, "password=", 9) == 0 && p[9] != '\0' &&
			    p[9] != '&')
				return 1;
		}
		return 0;
	}
	for (;;) {
		while (conf_isspace((unsigned char)*p))
			p++;
		if (*p == '\0')
			return 0;
		key = p;
		while (*p != '\0' && *p != '=' &&
		    !conf_isspace((unsigned char)*p))
			p++;
		keylen = p - key;
		while (conf_isspace((unsigned char)*p))
			p++;
		if (*p != '=')
			return 0;	/* libpq refuses it anyway */
		p++;
		while (conf_isspace((unsigned char)*p))
			p++;
		end = p;
		if (*p == '\'') {
			for (p++; *p != '\0' && *p != '\''; p++) {
				if (*p == '\\' && p[1] != '\0')
					p++;
			}
			if (*p == '\'')
				p++;
		} else {
			while (*p != '\0' && !conf_isspace((unsigned char)*p))
				p++;
		}
		if (keylen == 8 && strncmp(key, "password", 8) == 0 &&
		    p > end && strncmp(end, "''", p - end) != 0)
			return 1;
	}
}

/*
 * Read the whole file (at most CONF_FILE_MAX bytes) into *buf and its mode
 * into *mode; *missing tells whether it failed because the file does not
 * exist.
 */
static int
conf_read(const char *path, char **buf, size_t *len, mode_t *mode,
    int *missing, char **cause)
{
	struct stat	 st;
	ssize_t		 n;
	int		 fd;

	*buf = NULL;
	*len = 0;
	*missing = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		*missing = errno == ENOENT;
		xasprintf(cause, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == -1) {
		xasprintf(cause, "%s: %s", path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		xasprintf(cause, "%s: not a regular file", path);
		goto fail;
	}
	*mode = st.st_mode;
	*buf = xmalloc(CONF_FILE_MAX + 1);
	for (;;) {
		n = read(fd, *buf + *len, CONF_FILE_MAX + 1 - *len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		*len += n;
		if (*len > CONF_FILE_MAX) {
			xasprintf(cause, "%s: larger than %d bytes", path,
			    CONF_FILE_MAX);
			goto fail;
		}
	}
	close(fd);
	return 0;

fail:
	free(*buf);
	*buf = NULL;
	close(fd);
	return -1;
}

int
conf_load(struct conf *conf, const char *path, int missing_ok, char **cause)
{
	char	*buf;
	size_t	 len;
	mode_t	 mode = 0;
	int	 rc, missing;

	memset(conf, 0, sizeof(*conf));
	if (conf_read(path, &buf, &len, &mode, &missing, cause) != 0) {
		if (missing_ok && missing) {
			free(*cause);
			*cause = NULL;
			return conf_parse(conf, path, "", 0, cause);
		}
		return -1;
	}
	rc = conf_parse(conf, path, buf, len, cause);
	explicit_bzero(buf, len);
	free(buf);
	if (rc == 0 && (mode & (S_IRGRP | S_IROTH)) != 0 &&
	    conf_has_password(conf->database)) {
		xasprintf(cause, "%s: database holds a password, and group or "
		    "others can read the file (mode %04o): make it mode 0600, "
		    "or put the password into ~/.pgpass of the user", path,
		    (unsigned int)(mode & 07777));
		conf_free(conf);
		return -1;
	}
	return rc;
}

void
conf_print(const struct conf *conf, FILE *fp)
{
	const struct conf_key	*key;
	struct conf		*c = (struct conf *)conf;
	const char		*value;
	size_t			 i;

	for (i = 0; i < CONF_NKEYS; i++) {
		key = &conf_keys[i];
		switch (key->type) {
		case CONF_STRING:
		case CONF_COMMAND:
			value = *conf_field_string(c, key->offset);
			fprintf(fp, "%s =%s%s\n", key->name,
			    value[0] == '\0' ? "" : " ", value);
			break;
		case CONF_NUMBER:
			fprintf(fp, "%s = %d\n", key->name,
			    *conf_field_int(c, key->offset));
			break;
		case CONF_TIME:
			fprintf(fp, "%s = %ds\n", key->name,
			    *conf_field_int(c, key->offset));
			break;
		case CONF_FACILITY:
			fprintf(fp, "%s = %s\n", key->name,
			    *conf_field_string(c, key->extra));
			break;
		case CONF_BYTES:
			if (*conf_field_long(c, key->offset) < 0)
				fprintf(fp, "%s =\n", key->name);
			else
				fprintf(fp, "%s = %lld\n", key->name,
				    *conf_field_long(c, key->offset));
			break;
		}
	}
}
