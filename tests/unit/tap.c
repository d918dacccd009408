/* A minimal TAP producer for the unit test programs. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "tap.h"

static int	tap_count;
static int	tap_failed;

/* Print "ok N - name" or "not ok N - name". */
static int __attribute__((format(printf, 2, 0)))
tap_vresult(int cond, const char *fmt, va_list ap)
{
	tap_count++;
	if (!cond)
		tap_failed++;
	printf("%sok %d - ", cond ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	return cond;
}

int
ok(int cond, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	return cond;
}

int
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list	 ap;
	int	 cond;

	if (got == NULL || want == NULL)
		cond = got == want;
	else
		cond = strcmp(got, want) == 0;
	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond) {
		diag("     got: %s%s%s", got ? "'" : "", got ? got : "NULL",
		    got ? "'" : "");
		diag("expected: %s%s%s", want ? "'" : "", want ? want : "NULL",
		    want ? "'" : "");
	}
	return cond;
}

int
is_int(long long got, long long want, const char *fmt, ...)
{
	va_list	 ap;
	int	 cond = got == want;

	va_start(ap, fmt);
	tap_vresult(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		diag("got %lld, expected %lld", got, want);
	return cond;
}

void
diag(const char *fmt, ...)
{
	va_list	 ap;

	printf("# ");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

int
done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}
