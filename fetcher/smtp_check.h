/*
 * The check of an account's outgoing server (postfetch.account smtp_*,
 * issue 13): connect, TLS as smtp_tls says, EHLO, AUTH PLAIN or LOGIN
 * (over TLS only), QUIT. It sends no mail. Postfix does the relaying
 * itself (postfetch-relay(7)); this only shows whether it can.
 */
#ifndef SMTP_CHECK_H
#define SMTP_CHECK_H

#include <stdio.h>

#include "db.h"

struct account;

extern const struct db_statement smtp_check_statements[];

/*
 * Check the outgoing server of the account, if it has one, printing
 * what was found to out, after a mailbox check that returned rc with
 * *cause. Returns the outcome of both: rc when there is no outgoing
 * server or it passed; else -1 with its failure ("smtp host:port: AUTH
 * PLAIN as user: 535 ...") in *cause, after the mailbox's if any.
 */
int	smtp_check_run(struct db *, const struct account *, int timeout,
	    FILE *out, int rc, char **cause);

#endif
