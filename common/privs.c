/* Dropping root for good, for both programs. */
#include <sys/types.h>

#include <errno.h>
#include <grp.h>
#include <string.h>
#include <unistd.h>

#include "privs.h"
#include "xmalloc.h"

uid_t
privs_user_uid(const char *user)
{
	struct passwd	*pw;

	if (geteuid() != 0)
		return geteuid();
	if (user == NULL || *user == '\0' || (pw = getpwnam(user)) == NULL)
		return 0;
	return pw->pw_uid;
}

int
privs_drop(const struct passwd *pw, char **cause)
{
	if (setgroups(1, &pw->pw_gid) == -1 || setgid(pw->pw_gid) == -1 ||
	    setuid(pw->pw_uid) == -1) {
		xasprintf(cause, "cannot become user %s: %s", pw->pw_name,
		    strerror(errno));
		return -1;
	}
	if (getuid() != pw->pw_uid || geteuid() != pw->pw_uid ||
	    getgid() != pw->pw_gid || getegid() != pw->pw_gid ||
	    (pw->pw_uid != 0 && setuid(0) != -1)) {
		xasprintf(cause, "cannot become user %s: privileges kept",
		    pw->pw_name);
		return -1;
	}
	return 0;
}
