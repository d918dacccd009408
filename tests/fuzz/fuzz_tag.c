/*
 * libFuzzer target for the header tag: tag_verify on any bytes must refuse
 * with a cause or accept a valid name; a name tag_sign accepts must verify
 * back to itself.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tag.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

#define NOW	1700000000

static const unsigned char key[TAG_KEY_LEN] = {
	0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
	0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f,
	0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
	0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*input, *cause = NULL, account[65], value[TAG_VALUE_MAX];

	input = malloc(size + 1);
	if (input == NULL)
		return 0;
	memcpy(input, data, size);
	input[size] = '\0';

	if (tag_verify(key, input, NOW, TAG_MAX_AGE, account, sizeof(account),
	    NULL, 0, NULL, &cause) == 0) {
		if (cause != NULL || strlen(account) == 0)
			abort();
	} else if (cause == NULL)
		abort();
	free(cause);
	cause = NULL;

	if (tag_sign(key, input, NULL, NULL, NOW, value, sizeof(value)) == 0) {
		if (tag_verify(key, value, NOW, TAG_MAX_AGE, account,
		    sizeof(account), NULL, 0, NULL, &cause) != 0 ||
		    strcmp(account, input) != 0)
			abort();
		/* Any other time or a flipped MAC byte must fail. */
		value[strlen(value) - 1] ^= 1;
		if (tag_verify(key, value, NOW, TAG_MAX_AGE, account,
		    sizeof(account), NULL, 0, NULL, &cause) == 0)
			abort();
		free(cause);
	}
	free(input);
	return 0;
}
