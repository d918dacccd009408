/*
 * Unit tests for common/clock.c: the clock never goes back and follows a
 * sleep to within a generous margin.
 */
#include <time.h>

#include "clock.h"
#include "tap.h"

int
main(void)
{
	struct timespec	 nap = { 0, 50 * 1000 * 1000 };
	long long	 before, after, previous, now;
	int		 i, backwards = 0;

	previous = clock_ms();
	ok(previous >= 0, "the clock reads %lld ms", previous);
	for (i = 0; i < 100000; i++) {
		now = clock_ms();
		if (now < previous)
			backwards++;
		previous = now;
	}
	is_int(backwards, 0, "100000 readings never go back");

	before = clock_ms();
	nanosleep(&nap, NULL);
	after = clock_ms();
	ok(after - before >= 50, "a 50 ms sleep takes at least 50 ms (%lld)",
	    after - before);
	ok(after - before < 5000, "and less than 5 s (%lld)", after - before);
	return done_testing();
}
