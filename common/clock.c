/*
 * The monotonic clock in milliseconds (one helper for every timeout and
 * duration in the programs).
 */
#include <time.h>

#include "clock.h"

long long
clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
