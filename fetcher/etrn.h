/*
 * ETRN client (RFC 1985, over RFC 5321 and 3207 STARTTLS): ask a
 * provider's SMTP server to flush the mail it holds for a domain to us.
 * The mail itself arrives later by SMTP, and the milter handles it by its
 * domain. ETRN needs no authentication: the provider decides which
 * clients may ask for which domains (Postfix: smtpd_etrn_restrictions).
 */
#ifndef ETRN_H
#define ETRN_H

struct account;
struct driver_info;
struct transport;

/*
 * Connect to the account's host (port 25, or 465 for tls = direct when
 * port is 0), read the greeting, EHLO (HELO when refused, then no
 * STARTTLS), STARTTLS as the account's tls says (EHLO again after it),
 * "ETRN domain", QUIT. timeout (seconds) bounds the connect and every
 * read and write. Returns 0 when ETRN was accepted (250 to 253), with
 * *reply its reply line (caller frees), or -1 with *cause, one line that
 * names what failed ("ETRN example.net: 458 Unable to queue messages for
 * node example.net"). *info is filled in as far as the session got.
 */
int	etrn_flush(const struct account *, int timeout,
	    struct driver_info *info, char **reply, char **cause);
/*
 * The same over a transport the caller made (tests); it takes the
 * transport and frees it. hostname is what EHLO says; account->host is
 * the name the TLS certificate must carry.
 */
int	etrn_flush_transport(struct transport *, const struct account *,
	    const char *hostname, struct driver_info *info, char **reply,
	    char **cause);

#endif
