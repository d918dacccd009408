/*
 * Helper programs run for what they print: posix_spawn without a shell,
 * stdin from /dev/null, stdout (and stderr if asked) on a pipe read with
 * a size bound and a deadline, then reaped -- killed when it misbehaved or
 * overstays. Secrets may pass through (tokens): buffers are wiped.
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
#include "program.h"
#include "xmalloc.h"

extern char	**environ;

/* Start argv with stdout (and stderr) on a pipe. Returns the pid or -1. */
static pid_t
program_spawn(const char *name, const char *const argv[], int flags,
    int *fd, char **cause)
{
	posix_spawn_file_actions_t	 actions;
	posix_spawnattr_t		 attr;
	sigset_t			 all, none;
	pid_t				 pid;
	int				 pipefd[2], error;

	if (argv == NULL || argv[0] == NULL) {
		xasprintf(cause, "%s is empty", name);
		return -1;
	}
	if (pipe2(pipefd, O_CLOEXEC) == -1) {
		xasprintf(cause, "pipe: %s", strerror(errno));
		return -1;
	}
	posix_spawn_file_actions_init(&actions);
	posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY,
	    0);
	posix_spawn_file_actions_adddup2(&actions, pipefd[1], 1);
	if (flags & PROGRAM_STDERR)
		posix_spawn_file_actions_adddup2(&actions, pipefd[1], 2);
	/*
	 * Default signals (not our ignored SIGPIPE), none blocked, and a
	 * process group of its own, so that a kill reaches what it starts.
	 */
	sigfillset(&all);
	sigemptyset(&none);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setpgroup(&attr, 0);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF |
	    POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETPGROUP);
	error = posix_spawnp(&pid, argv[0], &actions, &attr,
	    (char *const *)argv, environ);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&actions);
	close(pipefd[1]);
	if (error != 0) {
		close(pipefd[0]);
		xasprintf(cause, "%s %s: %s", name, argv[0], strerror(error));
		return -1;
	}
	*fd = pipefd[0];
	return pid;
}

/*
 * Read until end of file (or the first newline with PROGRAM_LINE), the
 * size bound or the deadline. Returns the length read, or -1 with *cause.
 */
static ssize_t
program_output(const char *name, int fd, char *buf, size_t size, int flags,
    int timeout, char **cause)
{
	struct pollfd	 pfd;
	long long	 deadline, left;
	size_t		 len = 0, limit;
	ssize_t		 n;

	/* To end of file: one byte more than allowed tells "too much". */
	limit = (flags & PROGRAM_LINE) ? size : size + 1;
	deadline = clock_ms() + (timeout > 0 ? timeout : 1) * 1000LL;
	while (!(flags & PROGRAM_LINE) || memchr(buf, '\n', len) == NULL) {
		if (len == limit) {
			xasprintf(cause, "%s printed more than %zu bytes%s",
			    name, size, (flags & PROGRAM_LINE) ?
			    " without a newline" : "");
			return -1;
		}
		left = deadline - clock_ms();
		if (left <= 0) {
			xasprintf(cause, "%s timed out", name);
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
		n = read(fd, buf + len, limit - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			xasprintf(cause, "reading %s: %s", name,
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
 * exit after printing. Returns its wait status.
 */
static int
program_reap(pid_t pid, int kill_it, int timeout)
{
	struct timespec	 tick = { 0, 10 * 1000 * 1000 };
	long		 ticks = (timeout > 0 ? timeout : 1) * 100L;
	int		 status = 0;
	pid_t		 rc;

	if (kill_it)
		kill(-pid, SIGKILL);
	for (;;) {
		rc = waitpid(pid, &status, kill_it ? 0 : WNOHANG);
		if (rc == pid || (rc == -1 && errno != EINTR))
			return status;
		if (rc == 0 && --ticks <= 0) {
			kill(-pid, SIGKILL);
			kill_it = 1;
		} else if (rc == 0)
			nanosleep(&tick, NULL);
	}
}

int
program_read(const char *name, const char *const argv[], int timeout,
    size_t max, int flags, char **output, size_t *len, int *status,
    char **cause)
{
	char	*buf, *nl;
	ssize_t	 n;
	pid_t	 pid;
	int	 fd;

	*output = NULL;
	*len = 0;
	if ((pid = program_spawn(name, argv, flags, &fd, cause)) == -1)
		return -1;
	buf = xmalloc(max + 2);
	n = program_output(name, fd, buf, max, flags, timeout, cause);
	close(fd);
	/* Kill only when it misbehaved; a good one is reaped normally. */
	*status = program_reap(pid, n == -1, timeout);
	if (n == -1) {
		explicit_bzero(buf, max + 2);
		free(buf);
		return -1;
	}
	if ((flags & PROGRAM_LINE) && (nl = memchr(buf, '\n', n)) != NULL)
		n = nl - buf + 1;
	buf[n] = '\0';
	*output = buf;
	*len = n;
	return 0;
}

char *
program_failure(const char *name, int status)
{
	char	*why = NULL;

	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	if (WIFEXITED(status))
		xasprintf(&why, "%s exited with status %d", name,
		    WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		xasprintf(&why, "%s killed by signal %d", name,
		    WTERMSIG(status));
	else
		xasprintf(&why, "%s ended with wait status %d", name, status);
	return why;
}
