/*
 * The check command: connect, negotiate TLS, authenticate and count the
 * messages of one account through its protocol's driver, fetching and
 * changing nothing, and print what was found or exactly what failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "conf.h"
#include "driver.h"
#include "engine.h"
#include "etrn.h"
#include "log.h"
#include "smtp_check.h"
#include "store.h"
#include "xmalloc.h"

/* Print what the session found, as far as it got. */
static void
check_print_info(FILE *out, const struct driver_info *info)
{
	if (info->address[0] != '\0')
		fprintf(out, "connected to:  %s\n", info->address);
	if (info->tls) {
		fprintf(out, "TLS:           %s, %s\n", info->tls_version,
		    info->tls_cipher);
		fprintf(out, "certificate:   %s (%s)\n", info->tls_subject,
		    info->tls_verified ? "verified" : "NOT verified");
		if (info->tls_fingerprint[0] != '\0')
			fprintf(out, "fingerprint:   %s%s\n",
			    info->tls_fingerprint,
			    info->tls_pinned ? " (pinned)" : "");
	} else if (info->address[0] != '\0')
		fprintf(out, "TLS:           none\n");
	if (info->capabilities[0] != '\0')
		fprintf(out, "capabilities:  %s\n", info->capabilities);
	if (info->auth_method[0] != '\0')
		fprintf(out, "auth method:   %s\n", info->auth_method);
}

/* Count the messages of one folder and print them. */
static int
check_folder(const struct driver *driver, void *session, const char *folder,
    FILE *out, char **cause)
{
	struct driver_message	*list = NULL;
	unsigned long long	 size = 0;
	long long		 uidvalidity = 0;
	size_t			 count = 0, i;

	if (driver->select != NULL && driver->select(session, folder,
	    &uidvalidity, cause) != 0)
		return -1;
	if (driver->list(session, &list, &count, cause) != 0)
		return -1;
	for (i = 0; i < count; i++)
		size += list[i].size;
	free(list);
	fprintf(out, "messages:      %zu, %llu bytes%s%s\n", count, size,
	    folder[0] != '\0' ? " in " : "", folder);
	return 0;
}

/* The session; returns 0 or -1 with *cause. */
static int
check_session(const struct engine_context *context,
    const struct driver *driver, struct account *account, FILE *out,
    char **cause)
{
	struct driver_info	 info;
	char			**folders = NULL;
	void			*session;
	size_t			 i;
	int			 rc = -1;

	account->keep = 1;	/* IMAP folders are opened read-only */
	session = driver_open(driver, account, context->conf, &info, cause);
	check_print_info(out, &info);
	if (session == NULL)
		return -1;
	if (driver_folders(driver, session, account, &folders, cause) != 0)
		goto out;
	for (i = 0; folders[i] != NULL; i++) {
		if (check_folder(driver, session, folders[i], out,
		    cause) != 0)
			goto out;
	}
	rc = driver->quit(session, cause);
out:
	driver->close(session);
	xfreev(folders);
	return rc;
}

/* An ETRN account: the whole session, ETRN included (nothing else
 * shows that the provider flushes the domain for us). */
static int
check_etrn(const struct engine_context *context, struct account *account,
    FILE *out, char **cause)
{
	struct driver_info	 info;
	char			*reply = NULL;
	int			 rc;

	rc = etrn_flush(account, context->conf->timeout, &info, &reply,
	    cause);
	check_print_info(out, &info);
	if (rc == 0)
		fprintf(out, "ETRN %s: %s\n", account->domain, reply);
	free(reply);
	return rc;
}

/* The check; with record, its outcome goes into the account's row. */
static int
check_run(const struct engine_context *context, const char *name, FILE *out,
    int record)
{
	const struct driver	*driver;
	struct account		 account;
	const char		*plain;
	char			*cause = NULL, *why = NULL;
	int			 active, rc;

	if (account_find(context->db, name, "check", &account, &active) != 0)
		return -1;
	fprintf(out, "account:       %s (%s, %s, tls %s%s, auth %s)\n",
	    account.name, account.protocol, active ? "active" : "inactive",
	    account.tls, account.tls_verify ? "" : " without verification",
	    account.auth);
	if ((plain = driver_plain_warning(&account)) != NULL) {
		fprintf(out, "warning:       %s\n", plain);
		log_warnx("account=%s host=%s: %s", account.name,
		    account.host, plain);
	}
	if (strcmp(account.protocol, "etrn") == 0)
		rc = check_etrn(context, &account, out, &cause);
	else if ((driver = driver_find(account.protocol)) == NULL) {
		cause = xprintf("protocol %s is not supported yet",
		    account.protocol);
		rc = -1;
	} else {
		if (!account.tls_verify)
			log_warnx("account=%s host=%s: TLS certificate "
			    "verification disabled", account.name,
			    account.host);
		rc = check_session(context, driver, &account, out, &cause);
	}
	rc = smtp_check_run(context->db, &account, context->conf->timeout,
	    out, rc, &cause);
	if (rc == 0)
		fprintf(out, "result:        ok\n");
	else {
		fprintf(out, "result:        failed: %s\n", cause);
		log_warnx("account=%s host=%s: check failed: %s",
		    account.name, account.host, cause);
	}
	fflush(out);
	if (record) {
		free(why);
		why = NULL;
		if (store_check_done(context->db, account.id, rc == 0 ? NULL :
		    cause, &why) != 0) {
			log_warnx("account=%s host=%s: check not recorded: %s",
			    account.name, account.host, why);
			free(why);
		} else if (rc == 0)
			log_info("account=%s host=%s: checked: ok",
			    account.name, account.host);
	}
	free(cause);
	account_free(&account);
	return rc;
}

int
check_account(const struct engine_context *context, const char *name,
    FILE *out)
{
	return check_run(context, name, out, 0);
}

int
check_account_record(const struct engine_context *context, const char *name)
{
	FILE	*out;
	int	 rc;

	if ((out = fopen("/dev/null", "w")) == NULL) {
		log_warn("account=%s: check: /dev/null", name);
		return -1;
	}
	rc = check_run(context, name, out, 1);
	fclose(out);
	return rc;
}
