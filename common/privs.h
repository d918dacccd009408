/* Dropping root for good, for both programs. */
#ifndef PRIVS_H
#define PRIVS_H

#include <pwd.h>

/*
 * Become pw's user with only its primary group, and make sure root cannot
 * be regained. Returns 0, or -1 with *cause.
 */
int	privs_drop(const struct passwd *pw, char **cause);
/*
 * The uid the programs run as: user's when started as root (0 when there
 * is no such user: the drop fails on it later, with the reason), else
 * the uid running.
 */
uid_t	privs_user_uid(const char *user);

#endif
