/* The libmilter callbacks: thin glue between Postfix and the logic modules. */
#ifndef GLUE_H
#define GLUE_H

#include "tag.h"

/*
 * Register the filter with libmilter. key: the tag secret (copied);
 * postmaster: where unknown recipients go when an account has no
 * fallback. Returns 0, or -1 if libmilter refused.
 */
int	glue_register(const unsigned char key[TAG_KEY_LEN],
	    const char *postmaster);
/* Wipe the copied key. */
void	glue_cleanup(void);

#endif
