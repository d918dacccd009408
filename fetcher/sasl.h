/*
 * Client side of the POP3 authentication exchanges: base64, the SASL
 * PLAIN, LOGIN, CRAM-MD5 and XOAUTH2 responses, and the APOP digest.
 * Every function returns a freshly allocated string; callers wipe and free
 * strings that hold secrets with sasl_free.
 */
#ifndef SASL_H
#define SASL_H

#include <stddef.h>

/* base64 of len bytes of data. */
char	*sasl_base64_encode(const void *data, size_t len);
/* Decode base64 text; *out is NUL-terminated for convenience. -1 if bad. */
int	 sasl_base64_decode(const char *text, char **out, size_t *len);
/* PLAIN (RFC 4616): base64("" NUL user NUL password). */
char	*sasl_plain(const char *user, const char *password);
/* CRAM-MD5 (RFC 2195): answer the base64 challenge. NULL if it is bad. */
char	*sasl_cram_md5(const char *user, const char *password,
	    const char *challenge);
/* XOAUTH2: base64("user=" user ^A "auth=Bearer " token ^A ^A). */
char	*sasl_xoauth2(const char *user, const char *token);
/* APOP (RFC 1939): lowercase hex MD5 of timestamp followed by password;
 * NULL if MD5 is unavailable (FIPS mode). */
char	*sasl_apop(const char *timestamp, const char *password);
/* Whether an XOAUTH2 error challenge (base64 JSON) says the token is
 * invalid or expired: status 401 or invalid_token. */
int	 sasl_xoauth2_expired(const char *challenge);
/* explicit_bzero and free a string (NULL is fine). */
void	 sasl_free(char *);

#endif
