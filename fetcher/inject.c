/*
 * Running sendmail for one message. The child gets a pipe as its standard
 * input and another as stdout and stderr (read while we write, so a
 * chatty sendmail cannot deadlock us), its own process group, default
 * signal dispositions, no other descriptors, and SIGKILL when we die
 * (never a truncated message queued behind our back). Writes go out in
 * INJECT_BUFFER chunks; SIGPIPE is blocked around them, so a sendmail
 * that dies shows up as EPIPE and its exit status, not as our death.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "clock.h"
#include "inject.h"
#include "log.h"
#include "xmalloc.h"

#define INJECT_COMPLAINT	1024	/* bytes of sendmail's output kept */
#define INJECT_TERM_WAIT	2000	/* ms between SIGTERM and SIGKILL */

struct inject {
	pid_t	 pid;			/* -1 once reaped */
	int	 input;			/* sendmail's stdin, -1 when closed */
	int	 output;		/* its stdout+stderr, -1 at EOF */
	int	 pidfd;			/* readable when it exits, or -1 */
	char	*buf;
	size_t	 len;
	char	 complaint[INJECT_COMPLAINT];
	size_t	 complaint_len;
	int	 timeout;		/* ms */
	int	 status;		/* exit status, once reaped */
	char	*program;		/* argv[0], for causes */
};

/* Names of the sysexits.h codes sendmail uses. */
static const char *const inject_exit_names[] = {
	"EX_USAGE", "EX_DATAERR", "EX_NOINPUT", "EX_NOUSER", "EX_NOHOST",
	"EX_UNAVAILABLE", "EX_SOFTWARE", "EX_OSERR", "EX_OSFILE",
	"EX_CANTCREAT", "EX_IOERR", "EX_TEMPFAIL", "EX_PROTOCOL", "EX_NOPERM",
	"EX_CONFIG",
};

/* A close-on-exec pipe whose ends are above stderr, so that dup2 onto
 * 0, 1, 2 in the child always makes a fresh descriptor. */
static int
inject_pipe(int fds[2])
{
	int	 i, moved;

	if (pipe2(fds, O_CLOEXEC) == -1)
		return -1;
	for (i = 0; i < 2; i++) {
		if (fds[i] > 2)
			continue;
		if ((moved = fcntl(fds[i], F_DUPFD_CLOEXEC, 3)) == -1) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
		close(fds[i]);
		fds[i] = moved;
	}
	return 0;
}

/*
 * In the child: die with the parent, wire up the pipes, reset signals,
 * close everything else, exec. Only async-signal-safe calls (the parent
 * may have threads). On failure the errno goes to the parent through the
 * status pipe.
 */
static void __attribute__((noreturn))
inject_child(char *const *argv, pid_t parent, int input, int output,
    int status)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 sig, error, report = status;

	/*
	 * If we are killed (SIGKILL, the OOM killer), sendmail must not read
	 * the EOF as the end of the message and queue a truncated copy of
	 * one that stays on the server: it is killed too. The signal comes
	 * when the forking thread ends, and the fetcher forks from its only
	 * thread. A parent already gone is seen by getppid().
	 */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
		goto fail;
	if (getppid() != parent)
		_exit(127);
	setpgid(0, 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	for (sig = 1; sig < NSIG; sig++)
		sigaction(sig, &sa, NULL);	/* KILL, STOP: harmless EINVAL */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);

	if (dup2(input, 0) == -1 || dup2(output, 1) == -1 ||
	    dup2(output, 2) == -1 || dup2(status, 3) == -1)
		goto fail;
	report = 3;
	if (fcntl(3, F_SETFD, FD_CLOEXEC) == -1)
		goto fail;
	closefrom(4);
	execv(argv[0], argv);
fail:
	error = errno;
	if (write(report, &error, sizeof(error)) == -1) {
		/* nothing left to tell anyone */
	}
	_exit(127);
}

/* write(2) with SIGPIPE blocked in this thread: EPIPE instead of death. */
static ssize_t
inject_write_nosignal(int fd, const void *data, size_t len)
{
	sigset_t		 pipe_set, old, pending;
	struct timespec		 zero = { 0, 0 };
	ssize_t			 n;
	int			 error, was_pending;

	sigemptyset(&pipe_set);
	sigaddset(&pipe_set, SIGPIPE);
	sigpending(&pending);
	was_pending = sigismember(&pending, SIGPIPE);
	pthread_sigmask(SIG_BLOCK, &pipe_set, &old);
	n = write(fd, data, len);
	error = errno;
	if (n == -1 && error == EPIPE && !was_pending) {
		/* take back the SIGPIPE this write raised */
		while (sigtimedwait(&pipe_set, NULL, &zero) == -1 &&
		    errno == EINTR)
			;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	errno = error;
	return n;
}

/* Read what sendmail printed so far; keep the first bytes. */
static void
inject_drain(struct inject *ij)
{
	char	 scratch[4096];
	ssize_t	 n;
	size_t	 room;

	while (ij->output != -1) {
		n = read(ij->output, scratch, sizeof(scratch));
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 && errno == EAGAIN)
			return;
		if (n <= 0) {
			close(ij->output);
			ij->output = -1;
			return;
		}
		room = sizeof(ij->complaint) - 1 - ij->complaint_len;
		if ((size_t)n < room)
			room = (size_t)n;
		memcpy(ij->complaint + ij->complaint_len, scratch, room);
		ij->complaint_len += room;
	}
}

/* Wait for sendmail to exit, at most ms milliseconds (-1: no limit). */
static int
inject_reap(struct inject *ij, int ms)
{
	long long	 deadline = clock_ms() + ms;
	struct pollfd	 pfd[2];
	pid_t		 r;
	int		 wstatus, nap = 1, wait;

	while (ij->pid != -1) {
		r = waitpid(ij->pid, &wstatus, WNOHANG);
		if (r == -1 && errno == EINTR)
			continue;
		if (r == -1) {
			ij->pid = -1;
			ij->status = -1;
			break;
		}
		if (r == ij->pid) {
			ij->pid = -1;
			if (WIFEXITED(wstatus))
				ij->status = WEXITSTATUS(wstatus);
			else if (WIFSIGNALED(wstatus))
				ij->status = 128 + WTERMSIG(wstatus);
			else
				ij->status = -1;
			break;
		}
		if (ms >= 0 && clock_ms() >= deadline)
			return -1;
		/*
		 * Sleep until it prints or exits. Without a pidfd (old
		 * kernels) poll wakes up now and then to try waitpid again.
		 */
		pfd[0].fd = ij->output;
		pfd[0].events = POLLIN;
		pfd[1].fd = ij->pidfd;
		pfd[1].events = POLLIN;
		wait = ij->pidfd != -1 ? 1000 : nap;
		if (ms >= 0 && deadline - clock_ms() < wait)
			wait = (int)(deadline - clock_ms()) + 1;
		if (poll(pfd, 2, wait) > 0 && pfd[0].revents != 0)
			inject_drain(ij);
		if (nap < 64)
			nap *= 2;
	}
	inject_drain(ij);
	return 0;
}

/* Kill sendmail's process group, TERM first, and reap it. */
static void
inject_kill(struct inject *ij)
{
	if (ij->pid == -1)
		return;
	kill(-ij->pid, SIGTERM);
	kill(ij->pid, SIGTERM);
	if (inject_reap(ij, INJECT_TERM_WAIT) == 0)
		return;
	kill(-ij->pid, SIGKILL);
	kill(ij->pid, SIGKILL);
	inject_reap(ij, -1);
}

/* "PROGRAM exited with status 75 (EX_TEMPFAIL): first line printed". */
static char *
inject_cause(const struct inject *ij, const char *what)
{
	char		 line[256], how[64];
	size_t		 i, n = 0;
	int		 code = ij->status;

	for (i = 0; i < ij->complaint_len && n + 1 < sizeof(line); i++) {
		if (ij->complaint[i] == '\n') {
			if (n > 0)
				break;
			continue;
		}
		line[n++] = ij->complaint[i] >= ' ' &&
		    ij->complaint[i] <= '~' ? ij->complaint[i] : '?';
	}
	line[n] = '\0';
	if (what != NULL)
		strlcpy(how, what, sizeof(how));
	else if (code == -1)
		strlcpy(how, "ended with an unknown exit status", sizeof(how));
	else if (code > 128 && code < 128 + NSIG)
		snprintf(how, sizeof(how), "killed by signal %d", code - 128);
	else if (code >= 64 && code <= 78)
		snprintf(how, sizeof(how), "exited with status %d (%s)", code,
		    inject_exit_names[code - 64]);
	else
		snprintf(how, sizeof(how), "exited with status %d", code);
	return xprintf("%s %s%s%s", ij->program, how, n > 0 ? ": " : "",
	    line);
}

/* Close our ends and free (sendmail already reaped). */
static void
inject_free(struct inject *ij)
{
	if (ij->input != -1)
		close(ij->input);
	if (ij->output != -1)
		close(ij->output);
	if (ij->pidfd != -1)
		close(ij->pidfd);
	free(ij->buf);
	free(ij->program);
	free(ij);
}

/* The argv for execv: the configured command plus our arguments. */
static char **
inject_argv(char *const *argv, const char *sender, char *const *recipients,
    size_t count)
{
	char	**full;
	size_t	  n, i, k = 0;

	for (n = 0; argv[n] != NULL; n++)
		;
	full = xreallocarray(NULL, n + count + 5, sizeof(*full));
	for (i = 0; i < n; i++)
		full[k++] = argv[i];
	full[k++] = "-i";
	full[k++] = "-f";
	full[k++] = *sender == '\0' ? "<>" : (char *)sender;
	full[k++] = "--";
	for (i = 0; i < count; i++)
		full[k++] = recipients[i];
	full[k] = NULL;
	return full;
}

/* Check what goes on sendmail's command line: nothing that is an option. */
static int
inject_check(char *const *argv, const char *sender, char *const *recipients,
    size_t count, char **cause)
{
	size_t	 i;

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		*cause = xstrdup("sendmail_path is not an absolute path");
		return -1;
	}
	if (sender[0] == '-') {
		*cause = xprintf("sender <%s> refused: starts with '-'",
		    sender);
		return -1;
	}
	if (count == 0) {
		*cause = xstrdup("no recipients");
		return -1;
	}
	for (i = 0; i < count; i++) {
		if (recipients[i][0] == '\0' || recipients[i][0] == '-') {
			*cause = xprintf("recipient <%s> refused: %s",
			    recipients[i], recipients[i][0] == '\0' ?
			    "empty" : "starts with '-'");
			return -1;
		}
	}
	return 0;
}

struct inject *
inject_start(char *const *argv, const char *sender, char *const *recipients,
    size_t count, int timeout, char **cause)
{
	struct inject	*ij;
	char		**full;
	int		  in[2], out[2], status[2], error;
	ssize_t		  n;
	pid_t		  pid, parent;

	if (inject_check(argv, sender, recipients, count, cause) != 0)
		return NULL;
	if (inject_pipe(in) == -1)
		goto pipe_failed;
	if (inject_pipe(out) == -1) {
		close(in[0]);
		close(in[1]);
		goto pipe_failed;
	}
	if (inject_pipe(status) == -1) {
		close(in[0]);
		close(in[1]);
		close(out[0]);
		close(out[1]);
		goto pipe_failed;
	}
	full = inject_argv(argv, sender, recipients, count);
	parent = getpid();
	if ((pid = fork()) == 0)
		inject_child(full, parent, in[0], out[1], status[1]);
	error = errno;
	free(full);
	close(in[0]);
	close(out[1]);
	close(status[1]);
	if (pid == -1) {
		close(in[1]);
		close(out[0]);
		close(status[0]);
		*cause = xprintf("fork: %s", strerror(error));
		return NULL;
	}
	setpgid(pid, pid);	/* also here: no race with our kill */

	ij = xcalloc(1, sizeof(*ij));
	ij->pid = pid;
	ij->input = in[1];
	ij->output = out[0];
#ifdef SYS_pidfd_open
	ij->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	ij->pidfd = -1;
#endif
	ij->timeout = (timeout > 0 ? timeout : INJECT_TIMEOUT) * 1000;
	ij->program = xstrdup(argv[0]);
	ij->buf = xmalloc(INJECT_BUFFER);

	/* exec succeeded when the status pipe closes with nothing in it */
	while ((n = read(status[0], &error, sizeof(error))) == -1 &&
	    errno == EINTR)
		;
	close(status[0]);
	if (n == sizeof(error)) {
		inject_reap(ij, -1);
		*cause = xprintf("cannot execute %s: %s", ij->program,
		    strerror(error));
		inject_free(ij);
		return NULL;
	}
	if (fcntl(ij->input, F_SETFL, O_NONBLOCK) == -1 ||
	    fcntl(ij->output, F_SETFL, O_NONBLOCK) == -1) {
		*cause = xprintf("fcntl: %s", strerror(errno));
		inject_abort(ij);
		return NULL;
	}
	log_debug("started %s, pid %ld, %zu recipient%s", ij->program,
	    (long)pid, count, count == 1 ? "" : "s");
	return ij;

pipe_failed:
	*cause = xprintf("pipe: %s", strerror(errno));
	return NULL;
}

/*
 * Write all of data to sendmail, reading its output while it is busy.
 * On failure sendmail is reaped (killed if it hung) and *cause says why.
 */
static int
inject_send(struct inject *ij, const char *data, size_t len, char **cause)
{
	struct pollfd	 pfd[2];
	ssize_t		 n;
	int		 error;

	while (len > 0) {
		if (ij->input == -1) {
			*cause = xstrdup("sendmail input already closed");
			return -1;
		}
		n = inject_write_nosignal(ij->input, data, len);
		if (n > 0) {
			data += n;
			len -= (size_t)n;
			continue;
		}
		error = errno;
		if (n == -1 && error == EINTR)
			continue;
		if (n == -1 && error == EAGAIN) {
			pfd[0].fd = ij->input;
			pfd[0].events = POLLOUT;
			pfd[1].fd = ij->output;
			pfd[1].events = POLLIN;
			n = poll(pfd, 2, ij->timeout);
			if (n == -1 && errno == EINTR)
				continue;
			if (n == 0) {
				inject_kill(ij);
				*cause = inject_cause(ij, "timed out");
				return -1;
			}
			if (pfd[1].revents != 0)
				inject_drain(ij);
			continue;
		}
		/* EPIPE: sendmail closed its input, it is exiting */
		close(ij->input);
		ij->input = -1;
		if (inject_reap(ij, ij->timeout) != 0)
			inject_kill(ij);
		if (ij->status == 0)
			*cause = inject_cause(ij, "exited before reading the "
			    "whole message");
		else
			*cause = inject_cause(ij, NULL);
		return -1;
	}
	return 0;
}

int
inject_status(const struct inject *ij)
{
	return ij->pid == -1 ? ij->status : -1;
}

int
inject_write(struct inject *ij, const void *data, size_t len, char **cause)
{
	if (ij->len + len <= INJECT_BUFFER) {
		memcpy(ij->buf + ij->len, data, len);
		ij->len += len;
		return 0;
	}
	if (ij->len > 0) {
		if (inject_send(ij, ij->buf, ij->len, cause) != 0)
			return -1;
		ij->len = 0;
	}
	if (len >= INJECT_BUFFER)
		return inject_send(ij, data, len, cause);
	memcpy(ij->buf, data, len);
	ij->len = len;
	return 0;
}

int
inject_finish(struct inject *ij, int *status, char **cause)
{
	int	 rc = 0;

	*status = -1;
	if (ij->len > 0 && inject_send(ij, ij->buf, ij->len, cause) != 0) {
		*status = ij->status;
		inject_kill(ij);
		inject_free(ij);
		return -1;
	}
	close(ij->input);
	ij->input = -1;
	if (inject_reap(ij, ij->timeout) != 0) {
		inject_kill(ij);
		*cause = inject_cause(ij, "timed out");
		rc = -1;
	} else if (ij->status != 0) {
		*cause = inject_cause(ij, NULL);
		rc = -1;
	} else if (ij->complaint_len > 0)
		log_debug("%s said: %.*s", ij->program,
		    (int)ij->complaint_len, ij->complaint);
	*status = ij->status;
	inject_free(ij);
	return rc;
}

void
inject_abort(struct inject *ij)
{
	/* kill before closing its input: EOF would end the message */
	inject_kill(ij);
	inject_free(ij);
}
