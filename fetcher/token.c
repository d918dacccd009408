/*
 * OAuth2 access tokens from the configured token_command: posix_spawn it
 * without a shell with the account name as last argument, stdin from
 * /dev/null, read one line from its stdout (bounded in size and time),
 * and require a zero exit status.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "log.h"
#include "token.h"
#include "xmalloc.h"

extern char	**environ;

/* Start argv + account with stdout on a pipe. Returns the pid or -1. */
static pid_t
token_spawn(const char *const argv[], const char *account, int *fd,
    char **cause)
{
	posix_spawn_file_actions_t	 actions;
	const char			**args;
	size_t				 n;
	pid_t				 pid;
	int				 pipefd[2], error;

	for (n = 0; argv[n] != NULL; n++)
		;
	if (n == 0) {
		*cause = xstrdup("token_command is empty");
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	args = xreallocarray(NULL, n + 2, sizeof(*args));
	memcpy(args, argv, n * sizeof(*args));
	args[n] = account;
	args[n + 1] = NULL;
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY,
	    0);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
	error = posix_spawnp(&pid, argv[0], &actions, NULL,
	    (char *const *)args, environ);
	posix_spawn_file_actions_destroy(&actions);
	free(args);
	close(pipefd[1]);
	if (error != 0) {
		close(pipefd[0]);
		xasprintf(cause, "token_command %s: %s", argv[0],
		    strerror(error));
		return -1;
	}
	*fd = pipefd[0];
	return pid;
}

/*
 * Read until the first newline, EOF, the size bound or the deadline.
 * Returns the length read, or -1 with *cause.
 */
static ssize_t
token_read(int fd, char *buf, size_t size, int timeout, char **cause)
{
	struct pollfd	 pfd;
	long long	 deadline, left;
	size_t		 len = 0;
	ssize_t		 n;

	deadline = clock_ms() + (timeout > 0 ? timeout : 1) * 1000LL;
	while (memchr(buf, '\n', len) == NULL) {
		if (len == size) {
			xasprintf(cause, "token_command printed more than %zu "
			    "bytes without a newline", size);
			return -1;
		}
		left = deadline - clock_ms();
		if (left <= 0) {
			*cause = xstrdup("token_command timed out");
			return -1;
		}
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)left) == -1) {
			if (errno == EINTR)
				continue;
			xasprintf(cause, "poll: %s", strerror(errno));
			return -1;
		}
		if (pfd.revents == 0)
			continue;
		n = read(fd, buf + len, size - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "reading token_command: %s",
			    strerror(errno));
			return -1;
		}
		if (n == 0)
			break;
		len += n;
	}
	return len;
}

/*
 * Reap pid: kill it at once if kill_it, else give it timeout seconds to
 * exit after printing its token. Returns its wait status.
 */
static int
token_reap(pid_t pid, int kill_it, int timeout)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	long		 ticks = (timeout > 0 ? timeout : 1) * 100L;
	int		 status = 0;
	pid_t		 rc;

	if (kill_it)
		kill(pid, SIGKILL);
	for (;;) {
		rc = waitpid(pid, &status, kill_it ? 0 : WNOHANG);
		if (rc == pid || (rc == -1 && errno != EINTR))
			return status;
		if (rc == 0 && --ticks <= 0) {
			kill(pid, SIGKILL);
			kill_it = 1;
		} else if (rc == 0)
			nanosleep(&tick, NULL);
	}
}

/* A token is printable ASCII without spaces (RFC 6750 b64token). */
static int
token_valid(const char *token)
{
	const char	*p;

	for (p = token; *p != '\0'; p++) {
		if (*p <= ' ' || *p > '~')
			return 0;
	}
	return p != token;
}

int
token_get(const char *const argv[], const char *account, int timeout,
    char **token, char **cause)
{
	char	*buf, *nl;
	ssize_t	 len;
	pid_t	 pid;
	int	 fd, status;

	*token = NULL;
	if ((pid = token_spawn(argv, account, &fd, cause)) == -1)
		return -1;
	buf = xmalloc(TOKEN_MAX + 1);
	len = token_read(fd, buf, TOKEN_MAX, timeout, cause);
	close(fd);
	/* Kill only when it misbehaved; a good one is reaped normally. */
	status = token_reap(pid, len == -1, timeout);
	if (len != -1) {
		buf[len] = '\0';
		if ((nl = memchr(buf, '\n', len)) != NULL)
			*nl = '\0';
		buf[strcspn(buf, "\r")] = '\0';
		if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
			if (WIFEXITED(status))
				xasprintf(cause, "token_command exited with "
				    "status %d", WEXITSTATUS(status));
			else
				xasprintf(cause, "token_command killed by "
				    "signal %d", WTERMSIG(status));
			len = -1;
		} else if (!token_valid(buf)) {
			*cause = xstrdup("token_command printed no token "
			    "(want one line of printable characters)");
			len = -1;
		}
	}
	if (len == -1) {
		explicit_bzero(buf, TOKEN_MAX + 1);
		free(buf);
		return -1;
	}
	*token = buf;
	return 0;
}
