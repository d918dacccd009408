/*
 * Unit tests for fetcher/program.c: what a helper program prints, to end
 * of file or to the first newline, with or without its standard error,
 * bounded in size and time; how it ended. (token_command's own cases are
 * in fetcher_sasl.c.)
 */
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../fetcher/program.h"
#include "tap.h"

/* One run: argv, flags, max; what must come out. */
static const struct {
	const char	*name;
	const char	*argv[5];
	int		 flags;
	size_t		 max;
	int		 rc;
	const char	*output;	/* rc 0 */
	const char	*cause;		/* rc -1 */
	const char	*failure;	/* program_failure, NULL = exit 0 */
} cases[] = {
	{ "to end of file", { "printf", "a\nb\n", NULL }, 0, 64, 0,
	  "a\nb\n", NULL, NULL },
	{ "to the first newline", { "printf", "a\nb\n", NULL }, PROGRAM_LINE,
	  64, 0, "a\n", NULL, NULL },
	{ "nothing printed", { "true", NULL }, 0, 64, 0, "", NULL, NULL },
	{ "exactly max bytes", { "printf", "12345", NULL }, 0, 5, 0,
	  "12345", NULL, NULL },
	{ "one byte too many", { "printf", "123456", NULL }, 0, 5, -1, NULL,
	  "prog printed more than 5 bytes", NULL },
	{ "no newline within max", { "printf", "12345\n", NULL }, PROGRAM_LINE,
	  5, -1, NULL, "prog printed more than 5 bytes without a newline",
	  NULL },
	{ "stderr left alone", { "sh", "-c", "echo out; echo '# stderr' >&2", NULL },
	  0, 64, 0, "out\n", NULL, NULL },
	{ "stderr too", { "sh", "-c", "echo err >&2; echo out", NULL },
	  PROGRAM_STDERR, 64, 0, "err\nout\n", NULL, NULL },
	{ "exit status", { "sh", "-c", "echo no; exit 3", NULL }, 0, 64, 0,
	  "no\n", NULL, "prog exited with status 3" },
	{ "signal", { "sh", "-c", "kill -TERM $$", NULL }, 0, 64, 0, "",
	  NULL, "prog killed by signal 15" },
	{ "empty command", { NULL }, 0, 64, -1, NULL, "prog is empty", NULL },
	{ "silent and slow", { "sleep", "5", NULL }, 0, 64, -1, NULL,
	  "prog timed out", NULL },
};

int
main(void)
{
	char	*output, *cause, *failure;
	size_t	 i, len;
	int	 rc, status;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		output = cause = NULL;
		status = 0;
		rc = program_read("prog", cases[i].argv, 1, cases[i].max,
		    cases[i].flags, &output, &len, &status, &cause);
		is_int(rc, cases[i].rc, "%s: result", cases[i].name);
		if (rc == 0) {
			is_str(output, cases[i].output, "%s: output",
			    cases[i].name);
			is_int(len, cases[i].output != NULL ?
			    strlen(cases[i].output) : 0, "%s: length",
			    cases[i].name);
			failure = program_failure("prog", status);
			is_str(failure, cases[i].failure, "%s: exit",
			    cases[i].name);
			free(failure);
		} else {
			is_str(cause, cases[i].cause, "%s: cause",
			    cases[i].name);
			ok(output == NULL, "%s: no output", cases[i].name);
		}
		free(output);
		free(cause);
	}
	/*
	 * posix_spawn reports a missing program itself, or (under valgrind,
	 * which spawns by fork and exec) as the child's exit status 127.
	 */
	output = cause = NULL;
	rc = program_read("prog", (const char *[]){ "/nonexistent/prog", NULL },
	    1, 64, 0, &output, &len, &status, &cause);
	failure = rc == 0 ? program_failure("prog", status) : NULL;
	if (!ok((rc == -1 && cause != NULL && strcmp(cause, "prog "
	    "/nonexistent/prog: No such file or directory") == 0) ||
	    (rc == 0 && failure != NULL && strcmp(failure, "prog exited with "
	    "status 127") == 0), "missing program: fails"))
		diag("rc %d, cause %s, failure %s", rc, cause ? cause : "-",
		    failure ? failure : "-");
	free(failure);
	free(output);
	free(cause);
	return done_testing();
}
