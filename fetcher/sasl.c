/*
 * Client side of the POP3 authentication exchanges: base64 (OpenSSL
 * EVP_EncodeBlock/DecodeBlock), SASL PLAIN, CRAM-MD5 and XOAUTH2
 * responses, and the APOP digest. Intermediate buffers that held a
 * secret are wiped before they are freed.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "log.h"
#include "sasl.h"
#include "xmalloc.h"

/* Lowercase hex of len bytes. */
static char *
sasl_hex(const unsigned char *data, size_t len)
{
	static const char	 digits[] = "0123456789abcdef";
	char			*hex;
	size_t			 i;

	hex = xreallocarray(NULL, len + 1, 2);
	for (i = 0; i < len; i++) {
		hex[2 * i] = digits[data[i] >> 4];
		hex[2 * i + 1] = digits[data[i] & 0xf];
	}
	hex[2 * len] = '\0';
	return hex;
}

char *
sasl_base64_encode(const void *data, size_t len)
{
	char	*out;

	if (len > (size_t)INT_MAX / 4 * 3 - 3)
		fatalx("%s: %zu bytes is too long", __func__, len);
	out = xmalloc((len + 2) / 3 * 4 + 1);
	EVP_EncodeBlock((unsigned char *)out, data, (int)len);
	return out;
}

int
sasl_base64_decode(const char *text, char **out, size_t *len)
{
	size_t	 n = strlen(text), pad = 0, i;
	int	 rc;

	while (n > 0 && isspace((unsigned char)text[n - 1]))
		n--;
	if (n % 4 != 0 || n > (size_t)INT_MAX / 2)
		return -1;
	if (n > 0 && text[n - 1] == '=')
		pad++;
	if (n > 1 && text[n - 2] == '=')
		pad++;
	/* OpenSSL takes '=' anywhere; only the last two may be padding. */
	for (i = 0; i < n - pad; i++) {
		if (!isalnum((unsigned char)text[i]) && text[i] != '+' &&
		    text[i] != '/')
			return -1;
	}
	*out = xmalloc(n / 4 * 3 + 1);
	rc = EVP_DecodeBlock((unsigned char *)*out,
	    (const unsigned char *)text, (int)n);
	if (rc < 0 || (size_t)rc < pad) {
		free(*out);
		*out = NULL;
		return -1;
	}
	*len = rc - pad;
	(*out)[*len] = '\0';
	return 0;
}

/* base64 of a buffer that holds a secret; the buffer is wiped. */
static char *
sasl_encode_secret(char *buf, size_t len)
{
	char	*out;

	out = sasl_base64_encode(buf, len);
	explicit_bzero(buf, len);
	free(buf);
	return out;
}

char *
sasl_plain(const char *user, const char *password)
{
	size_t	 ulen = strlen(user), plen = strlen(password);
	char	*buf;

	buf = xmalloc(ulen + plen + 2);
	buf[0] = '\0';
	memcpy(buf + 1, user, ulen);
	buf[ulen + 1] = '\0';
	memcpy(buf + ulen + 2, password, plen);
	return sasl_encode_secret(buf, ulen + plen + 2);
}

char *
sasl_cram_md5(const char *user, const char *password, const char *challenge)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	char		*text, *hex, *buf;
	size_t		 len;
	int		 n;

	if (sasl_base64_decode(challenge, &text, &len) != 0)
		return NULL;
	if (strlen(password) > INT_MAX || HMAC(EVP_md5(), password,
	    (int)strlen(password), (unsigned char *)text, len, md,
	    &mdlen) == NULL) {
		free(text);
		return NULL;
	}
	free(text);
	hex = sasl_hex(md, mdlen);
	explicit_bzero(md, sizeof(md));
	n = xasprintf(&buf, "%s %s", user, hex);
	free(hex);
	return sasl_encode_secret(buf, n);
}

char *
sasl_xoauth2(const char *user, const char *token)
{
	char	*buf;
	int	 n;

	n = xasprintf(&buf, "user=%s\001auth=Bearer %s\001\001", user, token);
	return sasl_encode_secret(buf, n);
}

char *
sasl_apop(const char *timestamp, const char *password)
{
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	EVP_MD_CTX	*ctx;
	char		*hex;
	int		 good;

	if ((ctx = EVP_MD_CTX_new()) == NULL)
		fatalx("%s: out of memory", __func__);
	good = EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	    EVP_DigestUpdate(ctx, timestamp, strlen(timestamp)) == 1 &&
	    EVP_DigestUpdate(ctx, password, strlen(password)) == 1 &&
	    EVP_DigestFinal_ex(ctx, md, &mdlen) == 1;
	EVP_MD_CTX_free(ctx);
	if (!good)
		return NULL;
	hex = sasl_hex(md, mdlen);
	explicit_bzero(md, sizeof(md));
	return hex;
}

void
sasl_free(char *s)
{
	if (s == NULL)
		return;
	explicit_bzero(s, strlen(s));
	free(s);
}

int
sasl_xoauth2_expired(const char *challenge)
{
	char	*json, *status;
	size_t	 len;
	int	 expired = 0;

	if (sasl_base64_decode(challenge, &json, &len) != 0)
		return 0;
	/* {"status":"401",...}, or OAUTHBEARER's "invalid_token" */
	if ((status = strstr(json, "\"status\"")) != NULL) {
		status += strlen("\"status\"");
		status += strspn(status, " \t:");
		expired = strncmp(status, "\"401\"", 5) == 0 ||
		    strncmp(status, "\"invalid_token\"", 15) == 0;
	}
	free(json);
	return expired;
}
