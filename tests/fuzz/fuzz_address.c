/*
 * libFuzzer target for common/address.c: address-list parsing, validity,
 * domain and lower-casing on arbitrary bytes.
 * Sources: common/address.c common/xmalloc.c common/log.c
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*value, **list = NULL, *lower;
	const char	*domain;
	size_t		 count = 0, valid, i;

	value = xmalloc(size + 1);
	memcpy(value, data, size);
	value[size] = '\0';

	valid = address_list_parse(value, &list, &count);
	address_list_split(value, &list, &count);
	for (i = 0; i < count; i++) {
		/* what parse returned must pass the check it promises */
		if (i < valid && !address_valid(list[i]))
			abort();
		if ((domain = address_domain(list[i])) != NULL &&
		    (domain < list[i] || *(domain - 1) != '@'))
			abort();
		lower = address_lower(list[i]);
		if (strlen(lower) != strlen(list[i]))
			abort();
		free(lower);
		free(list[i]);
	}
	free(list);
	address_valid(value);
	free(value);
	return 0;
}
