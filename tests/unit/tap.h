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

/* Files of a test; each exits the test on failure. */
/* Make a fresh directory from template (mkdtemp). */
void	test_dir(char *template);
/* Write text to path and give it mode (0755: a script). */
void	test_write(const char *path, const char *text, int mode);
/* Remove a test directory and everything in it. */
void	test_dir_remove(const char *dir);

#endif
