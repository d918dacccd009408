/* A minimal TAP producer for the unit test programs. */
#ifndef TAP_H
#define TAP_H

#include <stddef.h>

/* Record one test point; returns cond. */
int	ok(int cond, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* String equality (NULLs allowed); prints both on failure. */
int	is_str(const char *got, const char *want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
/* Integer equality; prints both on failure. */
int	is_int(long long got, long long want, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Print the plan and return the exit status: 0 if every point passed. */
int	done_testing(void);

#endif
