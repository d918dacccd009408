/*
 * The libmilter callbacks and nothing else: collect the recipients and the
 * headers that matter, then at end of message ask the logic modules what
 * to do and tell Postfix. Every failure answers TEMPFAIL, so Postfix keeps
 * the mail (sendmail-submitted mail stays in the maildrop queue and pickup
 * tries again; an SMTP client gets a 4xx reply).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libmilter/mfapi.h>

#include "cache.h"
#include "glue.h"
#include "log.h"
#include "message.h"
#include "rewrite.h"
#include "xmalloc.h"

/* The actions used: rewrite recipients, remove and add headers. */
#define GLUE_ACTIONS	(SMFIF_ADDRCPT | SMFIF_DELRCPT | SMFIF_CHGHDRS | \
			    SMFIF_ADDHDRS)
/* The macro that tells SMTP mail from locally submitted mail. */
#define GLUE_PORT	"{daemon_port}"
/*
 * The protocol steps skipped: only envelope and headers matter. MAIL,
 * RCPT and the headers get no reply (SMFIP_NR_*): Postfix keeps them in
 * its buffer and sends them with the next step that waits for one. DATA
 * and the end of headers are answered: two round trips a message. Not
 * fewer: smtpd's last write (DATA) must be answered before cleanup
 * writes the headers, or on an inet socket Nagle holds those until the
 * milter's delayed ACK, some 40 ms a message. (libmilter answers for the
 * filter where an MTA cannot do without replies.)
 */
#define GLUE_SKIPPED	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOBODY | \
			    SMFIP_NOUNKNOWN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
			    SMFIP_NR_HDR)

/*
 * The macros asked for at each step: the port at MAIL FROM, the queue ID
 * for the log at the end. Postfix sends a (maybe empty) macro packet at
 * every step and takes its own milter_*_macros for an empty list, so the
 * other steps ask for the queue ID alone, the least there is.
 */
static const struct {
	int		 where;
	const char	*macros;
} glue_macros[] = {
	{ SMFIM_ENVRCPT, "i" },
	{ SMFIM_DATA, "i" },
	{ SMFIM_EOH, "i" },
	{ SMFIM_EOM, "i" }
};

static unsigned char	 glue_key[TAG_KEY_LEN];
/* A message that could not be set up: deferred at the end of headers. */
static struct message	 glue_nomem = { .nomem = 1 };
static char		*glue_postmaster;

/* What the end of message found out and will do. */
struct verdict {
	const char		*queue_id;
	char			 tagged[TAG_VALUE_MAX];	/* account of the tag */
	char			 folder[TAG_VALUE_MAX];	/* its IMAP folder, or "" */
	int			 has_tag;
};

/* Log a tag that did not verify (forged, stale, damaged). */
static void
report_tag(void *arg, const char *value, const char *cause)
{
	const struct verdict	*verdict = arg;

	(void)value;
	log_warnx("%s: %s header ignored and removed: %s", verdict->queue_id,
	    TAG_HEADER, cause);
}

/* Ask for only the actions and protocol steps the filter uses. */
static sfsistat
glue_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	size_t	 i;

	(void)f2;
	(void)f3;
	if ((f0 & GLUE_ACTIONS) != GLUE_ACTIONS) {
		log_warnx("the MTA does not offer the actions needed "
		    "(offered 0x%lx, needed 0x%lx)", f0,
		    (unsigned long)GLUE_ACTIONS);
		return SMFIS_REJECT;
	}
	*pf0 = GLUE_ACTIONS;
	*pf1 = f1 & GLUE_SKIPPED;
	*pf2 = 0;
	*pf3 = 0;
	/* To tell SMTP mail from sendmail's: Postfix says port 0 for the latter. */
	if ((f0 & SMFIF_SETSYMLIST) == 0 ||
	    smfi_setsymlist(ctx, SMFIM_ENVFROM, (char *)GLUE_PORT) != MI_SUCCESS) {
		log_debug("cannot ask for the %s macro", GLUE_PORT);
		return SMFIS_CONTINUE;
	}
	*pf0 |= SMFIF_SETSYMLIST;
	/* Fewer macros only save bytes: a failure here changes nothing. */
	for (i = 0; i < sizeof glue_macros / sizeof glue_macros[0]; i++)
		if (smfi_setsymlist(ctx, glue_macros[i].where,
		    (char *)glue_macros[i].macros) != MI_SUCCESS)
			log_debug("cannot choose the macros of step %d",
			    glue_macros[i].where);
	return SMFIS_CONTINUE;
}

/*
 * Whether the message came in by SMTP: Postfix gives mail submitted with
 * sendmail (and seen by non_smtpd_milters) the daemon port 0. Without the
 * macro, count it as SMTP mail, which only widens the account matching,
 * and remember that it is a guess: a tag is then neither trusted nor
 * ignored (see glue_eom).
 */
static int
received_by_smtp(SMFICTX *ctx, int *unknown)
{
	const char	*port = smfi_getsymval(ctx, (char *)GLUE_PORT);

	*unknown = port == NULL;
	return port == NULL || strcmp(port, "0") != 0;
}

/* Drop the message context of ctx, if any. */
static void
forget(SMFICTX *ctx)
{
	struct message	*message = smfi_getpriv(ctx);

	if (message != &glue_nomem)
		message_free(message);
	smfi_setpriv(ctx, NULL);
}

/* Answer a temporary failure with a reply that says why. */
static sfsistat
tempfail(SMFICTX *ctx, const char *why)
{
	if (smfi_setreply(ctx, "451", "4.3.0", (char *)why) != MI_SUCCESS)
		log_debug("smfi_setreply failed");
	return SMFIS_TEMPFAIL;
}

/* Out of memory for this message: it waits, the milter goes on. */
static sfsistat
out_of_memory(SMFICTX *ctx, const char *queue_id)
{
	log_warnx("%s: out of memory: deferred", queue_id);
	forget(ctx);
	return tempfail(ctx, "postfetch: out of memory, try again later");
}

/* A new message begins; Postfix waits for no reply (SMFIP_NR_MAIL). */
static sfsistat
glue_envfrom(SMFICTX *ctx, char **argv)
{
	struct message	*message;

	(void)argv;
	forget(ctx);
	if ((message = message_new()) == NULL)
		message = &glue_nomem;
	else
		message->smtp = received_by_smtp(ctx, &message->port_unknown);
	smfi_setpriv(ctx, message);
	return SMFIS_NOREPLY;
}

/* Remember each recipient exactly as Postfix gave it (no reply). */
static sfsistat
glue_envrcpt(SMFICTX *ctx, char **argv)
{
	struct message	*message = smfi_getpriv(ctx);

	if (message != NULL && !message->nomem && argv[0] != NULL)
		message_recipient(message, argv[0]);
	return SMFIS_NOREPLY;
}


/* Look at each header; Postfix waits for no reply (SMFIP_NR_HDR). */
static sfsistat
glue_header(SMFICTX *ctx, char *name, char *value)
{
	struct message	*message = smfi_getpriv(ctx);

	if (message != NULL && !message->nomem)
		message_header(message, name, value);
	return SMFIS_NOREPLY;
}

/*
 * At the end of the headers: a message without a tag and without a
 * recipient in an ETRN domain is none of the filter's business.
 */
static sfsistat
glue_eoh(SMFICTX *ctx)
{
	struct message	*message = smfi_getpriv(ctx);
	struct snapshot	*snapshot;
	char		*cause = NULL;
	int		 fresh, involved;

	if (message != NULL && message->nomem)
		return out_of_memory(ctx, "NOQUEUE");
	if (message == NULL || message->ntags > 0)
		return SMFIS_CONTINUE;
	if (!message->smtp) {
		/* Only SMTP mail is matched by domain. */
		forget(ctx);
		return SMFIS_ACCEPT;
	}
	/* Domains change rarely: the last snapshot read may answer this. */
	if ((snapshot = cache_acquire(1, &fresh, &cause)) == NULL) {
		free(cause);
		return SMFIS_CONTINUE;	/* decided at the end */
	}
	involved = rewrite_involves(snapshot->directory, message->recipients,
	    message->nrecipients);
	cache_release(snapshot);
	if (involved)
		return SMFIS_CONTINUE;
	forget(ctx);
	return SMFIS_ACCEPT;
}

/* Remove every header called name (count of them), last first. */
static int
remove_headers(SMFICTX *ctx, const char *name, size_t count)
{
	for (; count > 0; count--)
		if (smfi_chgheader(ctx, (char *)name, (int)count, NULL) !=
		    MI_SUCCESS)
			return -1;
	return 0;
}

/* Add a recipient to the envelope. */
static int
add_recipient(SMFICTX *ctx, const char *address)
{
	char	*value;
	int	 failed;

	if (asprintf(&value, "<%s>", address) == -1)
		return -1;
	failed = smfi_addrcpt(ctx, value) != MI_SUCCESS;
	free(value);
	return failed ? -1 : 0;
}

/* Whether an address of final has local part local (len bytes, any case). */
static int
final_local(const char **final, size_t nfinal, const char *local, size_t len)
{
	size_t	 j;

	for (j = 0; j < nfinal; j++)
		if (strncasecmp(final[j], local, len) == 0 &&
		    (final[j][len] == '@' || final[j][len] == '\0'))
			return 1;
	return 0;
}

/*
 * Delete an envelope recipient of a tagged message. Postfix deletes the
 * recipients that were submitted as the address given, but shows a milter
 * those of sendmail qualified (a placeholder "postmaster" as
 * "postmaster@$myorigin"): delete the bare local part too, unless an
 * address kept or added has that local part.
 */
static int
delete_recipient(SMFICTX *ctx, const char *recipient, const char *bare,
    const char **final, size_t nfinal)
{
	const char	*at;
	char		*local;
	int		 failed;

	if (smfi_delrcpt(ctx, (char *)recipient) != MI_SUCCESS)
		return -1;
	if (bare == NULL || (at = strrchr(bare, '@')) == NULL || at == bare ||
	    final_local(final, nfinal, bare, (size_t)(at - bare)))
		return 0;
	xasprintf(&local, "<%.*s>", (int)(at - bare), bare);
	failed = smfi_delrcpt(ctx, local) != MI_SUCCESS;
	free(local);
	return failed ? -1 : 0;
}

/*
 * The envelope of a tagged message becomes exactly the rewritten
 * recipients of its tag (rcpts): the fetcher's placeholder, and anything
 * else the envelope holds, goes unless it is one of them.
 */
static int
replace_envelope(SMFICTX *ctx, const struct message *message,
    char *const *rcpts, const struct rewrite_result *result)
{
	const char	**final;
	char		 *bare;
	size_t		  nfinal = 0, i, j;
	int		 *present, rc = -1;

	final = calloc(result->nrecipients + result->nadd + 1, sizeof *final);
	present = calloc(result->nrecipients + result->nadd + 1,
	    sizeof *present);
	if (final == NULL || present == NULL)
		goto out;
	for (i = 0; i < result->nrecipients; i++)
		if (!result->remove[i])
			final[nfinal++] = rcpts[i];
	for (i = 0; i < result->nadd; i++)
		final[nfinal++] = result->add[i];
	for (i = 0; i < message->nrecipients; i++) {
		/* NULL (out of memory too): deleted, and added again below. */
		bare = rewrite_bare(message->recipients[i]);
		for (j = 0; bare != NULL && j < nfinal; j++)
			if (!present[j] && strcasecmp(final[j], bare) == 0)
				break;
		if (bare != NULL && j < nfinal)
			present[j] = 1;
		else if (delete_recipient(ctx, message->recipients[i], bare,
		    final, nfinal) != 0) {
			free(bare);
			goto out;
		}
		free(bare);
	}
	for (j = 0; j < nfinal; j++)
		if (!present[j] && add_recipient(ctx, final[j]) != 0)
			goto out;
	rc = 0;
out:
	free(present);
	free(final);
	return rc;
}

/*
 * Tell Postfix about the rewritten recipients (rcpts: the tag's for a
 * tagged message, else the envelope's) and log each change.
 */
static int
apply(SMFICTX *ctx, const struct verdict *verdict,
    const struct message *message, char *const *rcpts,
    const struct rewrite_result *result)
{
	const struct rewrite_change	*change;
	char				*bare, *value;
	size_t				 i;
	int				 failed;

	if (verdict->has_tag) {
		if (replace_envelope(ctx, message, rcpts, result) != 0)
			return -1;
	} else {
		for (i = 0; i < result->nrecipients; i++)
			if (result->remove[i] && smfi_delrcpt(ctx,
			    message->recipients[i]) != MI_SUCCESS)
				return -1;
		for (i = 0; i < result->nadd; i++)
			if (add_recipient(ctx, result->add[i]) != 0)
				return -1;
	}
	if (result->nchanges > 0 &&
	    remove_headers(ctx, MESSAGE_ORIGINAL, message->noriginals) != 0)
		return -1;
	for (i = 0; i < result->nchanges; i++) {
		change = &result->changes[i];
		/* Never the null recipient here: NULL is out of memory. */
		if ((bare = rewrite_bare(rcpts[change->recipient])) == NULL)
			return -1;
		log_info("%s: account=%s rcpt=<%s> -> <%s> (%s)",
		    verdict->queue_id, change->account->name, bare, change->to,
		    rewrite_reason_name(change->reason));
		/* One header per original recipient, not per target. */
		failed = 0;
		if (i == 0 || result->changes[i - 1].recipient !=
		    change->recipient) {
			failed = 1;
			if (asprintf(&value, "rfc822;%s", bare) != -1) {
				failed = smfi_addheader(ctx, MESSAGE_ORIGINAL,
				    value) != MI_SUCCESS;
				free(value);
			}
		}
		free(bare);
		if (failed)
			return -1;
	}
	return 0;
}

/* The account a valid tag names; a tag names an unknown one: no aliases. */
static const struct account *
tagged_account(const struct directory *directory, struct verdict *verdict,
    struct account *unknown)
{
	const struct account	*account;

	if ((account = directory_account(directory, verdict->tagged)) != NULL)
		return account;
	log_warnx("%s: account %s of the tag is not in the database: "
	    "local recipients kept, all others to the postmaster",
	    verdict->queue_id, verdict->tagged);
	memset(unknown, 0, sizeof *unknown);
	unknown->name = verdict->tagged;
	return unknown;
}

/* Log the message's one summary line. */
static void
summary(const struct verdict *verdict, const struct rewrite_result *result,
    const struct account *account)
{
	size_t	 i, removed = 0;

	if (account == NULL && result->nchanges > 0)
		account = result->changes[0].account;
	if (account == NULL) {
		log_debug("%s: no account", verdict->queue_id);
		return;
	}
	for (i = 0; i < result->nrecipients; i++)
		removed += result->remove[i] != 0;
	log_info("%s: account=%s%s%s%s recipients=%zu changed=%zu added=%zu",
	    verdict->queue_id, account->name, verdict->has_tag ? " tag=valid" :
	    " by=domain", verdict->folder[0] != '\0' ? " folder=" : "",
	    verdict->folder, result->nrecipients, removed, result->nadd);
}

/* The end of the message: decide the account, rewrite, remove the tags. */
static sfsistat
glue_eom(SMFICTX *ctx)
{
	struct message		*message = smfi_getpriv(ctx);
	struct verdict		 verdict;
	struct snapshot		*snapshot;
	struct rewrite_result	 result;
	struct account		 unknown;
	const struct account	*account = NULL;
	char			*cause = NULL, *const *rcpts;
	size_t			 nrcpts;
	int			 fresh, status;

	if (message == NULL)
		return SMFIS_CONTINUE;
	memset(&verdict, 0, sizeof verdict);
	if ((verdict.queue_id = smfi_getsymval(ctx, "i")) == NULL)
		verdict.queue_id = "NOQUEUE";
	if (message->nomem)
		return out_of_memory(ctx, verdict.queue_id);
	/*
	 * The fetcher injects through sendmail only: a tag that arrives by
	 * SMTP is a copy of an old one, never trusted (but removed below).
	 */
	if (message->ntags > 0 && message->port_unknown) {
		/* Neither trusted (it may be a copy sent by SMTP) nor dropped
		 * (fetched mail would land with the placeholder). */
		log_warnx("%s: %s header but no %s macro: deferred; add "
		    "%s to milter_mail_macros or set milter_protocol = 6 "
		    "(postfetch-milter(8))", verdict.queue_id, TAG_HEADER,
		    GLUE_PORT, GLUE_PORT);
		forget(ctx);
		return tempfail(ctx, "postfetch: the {daemon_port} macro is "
		    "missing, try again later");
	}
	if (message->ntags > 0 && message->smtp)
		log_warnx("%s: %s header in mail received by SMTP: removed, "
		    "not trusted", verdict.queue_id, TAG_HEADER);
	else if (message->ntags > 0) {
		status = message_account(message, glue_key, time(NULL),
		    verdict.tagged, sizeof verdict.tagged, verdict.folder,
		    sizeof verdict.folder, report_tag, &verdict);
		if (status == MESSAGE_NOMEM)
			return out_of_memory(ctx, verdict.queue_id);
		verdict.has_tag = status == 0;
	}
	if (!verdict.has_tag && !message->smtp) {
		/* Local mail of no account: only the bad tags go. */
		status = SMFIS_CONTINUE;
		if (remove_headers(ctx, TAG_HEADER, message->ntags) != 0)
			status = tempfail(ctx, "postfetch: cannot remove "
			    TAG_HEADER);
		forget(ctx);
		return status;
	}

	/* Only a tagged message needs the database to be there now. */
	snapshot = cache_acquire(!verdict.has_tag, &fresh, &cause);
	if (snapshot == NULL || (!fresh && rewrite_involves(
	    snapshot->directory, message->recipients, message->nrecipients))) {
		log_debug("%s: deferred: %s", verdict.queue_id,
		    cause != NULL ? cause : "database unavailable");
		free(cause);
		cache_release(snapshot);
		return tempfail(ctx, "postfetch: recipient database "
		    "unavailable, try again later");
	}

	/* A tagged message is for the recipients its tag is bound to. */
	rcpts = message->recipients;
	nrcpts = message->nrecipients;
	if (verdict.has_tag) {
		account = tagged_account(snapshot->directory, &verdict,
		    &unknown);
		rcpts = message->wanted.list;
		nrcpts = message->wanted.count;
	}
	if (rewrite_recipients(snapshot->directory, account, glue_postmaster,
	    rcpts, nrcpts, &result) != 0) {
		cache_release(snapshot);
		return out_of_memory(ctx, verdict.queue_id);
	}
	status = SMFIS_CONTINUE;
	if (remove_headers(ctx, TAG_HEADER, message->ntags) != 0 ||
	    (verdict.has_tag && remove_headers(ctx, RECIPIENTS_HEADER,
	    message->nlists) != 0) ||
	    apply(ctx, &verdict, message, rcpts, &result) != 0) {
		log_warnx("%s: Postfix refused a change (or out of memory); "
		    "deferred", verdict.queue_id);
		status = tempfail(ctx, "postfetch: cannot rewrite recipients");
	} else
		summary(&verdict, &result, account);
	rewrite_result_free(&result);
	cache_release(snapshot);
	forget(ctx);
	return status;
}

/* The message was aborted: forget it. */
static sfsistat
glue_abort(SMFICTX *ctx)
{
	forget(ctx);
	return SMFIS_CONTINUE;
}

/* The connection is closing. */
static sfsistat
glue_close(SMFICTX *ctx)
{
	forget(ctx);
	return SMFIS_CONTINUE;
}

int
glue_register(const unsigned char key[TAG_KEY_LEN], const char *postmaster)
{
	struct smfiDesc	 description;

	memcpy(glue_key, key, sizeof glue_key);
	glue_postmaster = xstrdup(postmaster);
	memset(&description, 0, sizeof description);
	description.xxfi_name = (char *)"postfetch-milter";
	description.xxfi_version = SMFI_VERSION;
	description.xxfi_flags = GLUE_ACTIONS;
	description.xxfi_envfrom = glue_envfrom;
	description.xxfi_envrcpt = glue_envrcpt;
	description.xxfi_header = glue_header;
	description.xxfi_eoh = glue_eoh;
	description.xxfi_eom = glue_eom;
	description.xxfi_abort = glue_abort;
	description.xxfi_close = glue_close;
	description.xxfi_negotiate = glue_negotiate;
	return smfi_register(description) == MI_SUCCESS ? 0 : -1;
}

void
glue_cleanup(void)
{
	explicit_bzero(glue_key, sizeof glue_key);
	free(glue_postmaster);
	glue_postmaster = NULL;
}
