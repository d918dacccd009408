/* postfetch-milter: the milter's command line and start-up. */
#include <stdio.h>

int
main(void)
{
	fprintf(stderr, "postfetch-milter: not yet\n");
	return 2;
}
