/*
 * The check command: connect, negotiate TLS, authenticate and count the
 * messages of one account, fetching and changing nothing, and print what
 * was found or exactly what failed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account.h"
#include "conf.h"
#include "log.h"
#include "poll.h"
#include "pop3.h"
#include "store.h"
#include "xmalloc.h"

/* Print what the session found, as far as it got. */
static void
check_print_info(FILE *out, const struct pop3_info *info)
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

/* The session; returns 0 or -1 with *cause. */
static int
check_session(const struct poll_context *context, struct account *account,
    FILE *out, char **cause)
{
	struct pop3_info	 info;
	struct pop3		*pop3;
	unsigned		 count;
	unsigned long long	 size;
	int			 rc = -1;

	memset(&info, 0, sizeof(info));
	pop3 = pop3_open(account, context->conf->timeout,
	    (const char **)context->conf->token_argv, &info, cause);
	check_print_info(out, &info);
	if (pop3 == NULL)
		return -1;
	if (pop3_stat(pop3, &count, &size, cause) == 0) {
		fprintf(out, "messages:      %u, %llu bytes\n", count, size);
		rc = pop3_quit(pop3, cause);
	}
	pop3_close(pop3);
	return rc;
}

int
check_account(const struct poll_context *context, const char *name,
    FILE *out)
{
	struct account	 account;
	char		*cause = NULL;
	int		 active, rc;

	if (account_find(context->db, name, "check", &account, &active) != 0)
		return -1;
	fprintf(out, "account:       %s (%s, %s, tls %s%s, auth %s)\n",
	    account.name, account.protocol, active ? "active" : "inactive",
	    account.tls, account.tls_verify ? "" : " without verification",
	    account.auth);
	if (strcmp(account.protocol, "pop3") != 0) {
		cause = xprintf("protocol %s is not supported yet",
		    account.protocol);
		rc = -1;
	} else {
		if (!account.tls_verify)
			log_warnx("account=%s host=%s: TLS certificate "
			    "verification disabled", account.name,
			    account.host);
		rc = check_session(context, &account, out, &cause);
	}
	if (rc == 0)
		fprintf(out, "result:        ok\n");
	else {
		fprintf(out, "result:        failed: %s\n", cause);
		log_warnx("account=%s host=%s: check failed: %s",
		    account.name, account.host, cause);
	}
	fflush(out);
	free(cause);
	account_free(&account);
	return rc;
}
