/*
 * Helper programs run for what they print (token_command, Postfix's
 * postconf): without a shell, stdin from /dev/null, output bounded in size
 * and time.
 */
#ifndef PROGRAM_H
#define PROGRAM_H

#include <stddef.h>

#define PROGRAM_LINE	0x1	/* stop reading at the first newline */
#define PROGRAM_STDERR	0x2	/* its standard error is output too */

/*
 * Run argv (NULL-terminated; argv[0] is looked up in PATH unless it holds
 * a '/') and read what it prints: up to end of file, or with PROGRAM_LINE
 * its first line (newline included); at most max bytes, within timeout
 * seconds.
 * Then reap it: at once (killed) when the reading failed, else after it
 * exits, killed if it has not within timeout seconds. Returns 0 with
 * *output (NUL-terminated, allocated max + 1 bytes: wipe it before freeing
 * when it may be secret), *len and its wait status in *status; or -1 with
 * *cause, which names the program as name ("token_command timed out").
 */
int	program_read(const char *name, const char *const argv[], int timeout,
	    size_t max, int flags, char **output, size_t *len, int *status,
	    char **cause);
/*
 * Why a wait status is not success ("NAME exited with status 1", "NAME
 * killed by signal 9"), allocated; NULL when the program exited 0.
 */
char	*program_failure(const char *name, int status);

#endif
