/*
 * The monotonic clock in milliseconds, for deadlines and elapsed times
 * that a change of the wall clock cannot move.
 */
#ifndef CLOCK_H
#define CLOCK_H

/* Milliseconds on the monotonic clock (from an arbitrary start). */
long long	 clock_ms(void);

#endif
