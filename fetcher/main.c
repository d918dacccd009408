/* postfetch: the fetcher's command line (poll, check, status, run). */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "postfetch: not yet\n");
	return 2;
}
