/* Unit tests of the in-memory UID set behind the seen/skipped index. */
#include <stdio.h>
#include <string.h>

#include "../../fetcher/seen.h"
#include "tap.h"

/* Whether the set is strictly sorted (no duplicates). */
static int
sorted(const struct uidset *set)
{
	size_t	 i;

	for (i = 1; i < set->count; i++) {
		if (strcmp(set->entries[i - 1].uid, set->entries[i].uid) >= 0)
			return 0;
	}
	return 1;
}

int
main(void)
{
	struct uidset	 set;
	static const char *const uids[] = {
		"000000036b0410af", "peer-2", "000000016b0410af", "peer-10",
		"a\"b\\c", "peer-2", "Z", "000000016b0410af"
	};
	char		 uid[16];
	size_t		 i;

	memset(&set, 0, sizeof(set));
	ok(!uidset_has(&set, "x"), "empty set has nothing");
	for (i = 0; i < sizeof(uids) / sizeof(uids[0]); i++)
		uidset_add(&set, uids[i], -1);
	is_int(set.count, 6, "duplicates are added once");
	ok(sorted(&set), "kept sorted");
	for (i = 0; i < sizeof(uids) / sizeof(uids[0]); i++)
		ok(uidset_has(&set, uids[i]), "has %s", uids[i]);
	ok(!uidset_has(&set, "peer-1"), "a prefix is not a member");
	ok(!uidset_has(&set, "peer-20"), "a longer UID is not a member");
	ok(!uidset_has(&set, "z"), "UIDs are case-sensitive");
	uidset_free(&set);
	is_int(set.count, 0, "free empties the set");
	ok(!uidset_has(&set, "Z"), "a freed set has nothing");

	for (i = 0; i < 5000; i++) {
		snprintf(uid, sizeof(uid), "%zu", (i * 7919) % 5000);
		uidset_add(&set, uid, (long long)((i * 7919) % 5000));
	}
	is_int(set.count, 5000, "5000 distinct UIDs in any order");
	ok(sorted(&set), "still sorted");
	ok(uidset_has(&set, "0") && uidset_has(&set, "4999") &&
	    !uidset_has(&set, "5000"), "first, last and absent");
	is_int(uidset_find(&set, "1234")->size, 1234, "the size of a UID");
	uidset_add(&set, "1234", 99);
	is_int(uidset_find(&set, "1234")->size, 99,
	    "adding again updates the size");
	is_int(set.count, 5000, "and adds no entry");
	uidset_free(&set);
	return done_testing();
}
