/*
 * make bench's reference filter for milter_cost.sh: a libmilter filter
 * that asks for the protocol steps postfetch-milter uses (envelope and
 * headers, no reply to MAIL, RCPT and the headers) and accepts every
 * message at the end of its headers, doing nothing else. What it costs
 * Postfix is the least any libmilter filter of those steps costs.
 *
 *	null_milter SOCKET	(e.g. inet:10025@127.0.0.1, unix:/path)
 */
#include <stdio.h>
#include <string.h>

#include <libmilter/mfapi.h>

#define NULL_STEPS	(SMFIP_NOCONNECT | SMFIP_NOHELO | SMFIP_NOBODY | \
			    SMFIP_NOUNKNOWN | SMFIP_NR_MAIL | SMFIP_NR_RCPT | \
			    SMFIP_NR_HDR)

static sfsistat
null_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
    unsigned long f2, unsigned long f3, unsigned long *pf0,
    unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
	(void)ctx;
	(void)f0;
	(void)f2;
	(void)f3;
	*pf0 = 0;
	*pf1 = f1 & NULL_STEPS;
	*pf2 = 0;
	*pf3 = 0;
	return SMFIS_CONTINUE;
}

static sfsistat
null_envelope(SMFICTX *ctx, char **argv)
{
	(void)ctx;
	(void)argv;
	return SMFIS_NOREPLY;
}

static sfsistat
null_header(SMFICTX *ctx, char *name, char *value)
{
	(void)ctx;
	(void)name;
	(void)value;
	return SMFIS_NOREPLY;
}

static sfsistat
null_eoh(SMFICTX *ctx)
{
	(void)ctx;
	return SMFIS_ACCEPT;
}

int
main(int argc, char **argv)
{
	struct smfiDesc	 description;

	if (argc != 2) {
		fprintf(stderr, "usage: null_milter SOCKET\n");
		return 2;
	}
	memset(&description, 0, sizeof description);
	description.xxfi_name = (char *)"null_milter";
	description.xxfi_version = SMFI_VERSION;
	description.xxfi_envfrom = null_envelope;
	description.xxfi_envrcpt = null_envelope;
	description.xxfi_header = null_header;
	description.xxfi_eoh = null_eoh;
	description.xxfi_negotiate = null_negotiate;
	if (smfi_setconn(argv[1]) != MI_SUCCESS ||
	    smfi_register(description) != MI_SUCCESS) {
		fprintf(stderr, "null_milter: cannot listen on %s\n", argv[1]);
		return 1;
	}
	return smfi_main() == MI_SUCCESS ? 0 : 1;
}
