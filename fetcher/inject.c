/*
 * Running sendmail for one message. The child gets the complete spool
 * file as its standard input and a pipe as stdout and stderr (drained as
 * it runs, so a chatty sendmail cannot block), its own process group,
 * default signal dispositions, no other descriptors, and SIGKILL when we
 * die. Several run at once: the caller polls each for its end. A
 * sendmail that reads nothing of its input for the timeout is killed.
 */
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
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
	pid_t		 pid;		/* -1 once reaped */
	int		 input;		/* the spool file (not ours) */
	int		 output;	/* its stdout+stderr, -1 at EOF */
	int		 pidfd;		/* readable when it exits, or -1 */
	char		 complaint[INJECT_COMPLAINT];
	size_t		 complaint_len;
	int		 timeout;	/* ms */
	off_t		 offset;	/* of its input at the last look */
	long long	 progress;	/* clock_ms() when offset moved */
	int		 status;	/* exit status, once reaped */
	char		*program;	/* argv[0], for causes */
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
    int complaint, int status)
{
	struct sigaction	 sa;
	sigset_t		 none;
	int			 sig, error, report = status;

	/*
	 * If we are killed (SIGKILL, the OOM killer), the message stays on
	 * the server unrecorded: sendmail is killed too, so that it is not
	 * queued now and again at the next poll. Its input is complete, so
	 * no kill can ever queue a truncated copy. The signal comes when
	 * the forking thread ends, and the fetcher forks from its only
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
	    dup2(complaint, 2) == -1 || dup2(status, 3) == -1)
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

/* Read what sendmail printed so far; keep the first bytes. */
void
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

void
inject_free(struct inject *ij)
{
	if (ij == NULL)
		return;
	inject_kill(ij);
	if (ij->output != -1)
		close(ij->output);
	if (ij->pidfd != -1)
		close(ij->pidfd);
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

int
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

/*
 * Fork and exec full (argv[0] is the program) with input as its standard
 * input and output as its standard output (-1: the complaint pipe, like
 * its standard error). NULL with *cause when it cannot be started.
 */
static struct inject *
inject_spawn(char **full, int input, int output, int timeout, char **cause)
{
	struct inject	*ij;
	int		  out[2], status[2], error;
	ssize_t		  n;
	pid_t		  pid, parent;

	if (inject_pipe(out) == -1)
		goto pipe_failed;
	if (inject_pipe(status) == -1) {
		close(out[0]);
		close(out[1]);
		goto pipe_failed;
	}
	parent = getpid();
	if ((pid = fork()) == 0)
		inject_child(full, parent, input, output != -1 ? output :
		    out[1], out[1], status[1]);
	error = errno;
	close(out[1]);
	close(status[1]);
	if (pid == -1) {
		close(out[0]);
		close(status[0]);
		*cause = xprintf("fork: %s", strerror(error));
		return NULL;
	}
	setpgid(pid, pid);	/* also here: no race with our kill */

	ij = xcalloc(1, sizeof(*ij));
	ij->pid = pid;
	ij->input = input;
	ij->output = out[0];
#ifdef SYS_pidfd_open
	ij->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
#else
	ij->pidfd = -1;
#endif
	ij->timeout = (timeout > 0 ? timeout : INJECT_TIMEOUT) * 1000;
	ij->program = xstrdup(full[0]);
	ij->progress = clock_ms();

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
	if (fcntl(ij->output, F_SETFL, O_NONBLOCK) == -1) {
		*cause = xprintf("fcntl: %s", strerror(errno));
		inject_free(ij);
		return NULL;
	}
	return ij;

pipe_failed:
	*cause = xprintf("pipe: %s", strerror(errno));
	return NULL;
}

struct inject *
inject_start(char *const *argv, const char *sender, char *const *recipients,
    size_t count, int input, int timeout, char **cause)
{
	struct inject	*ij;
	char		**full;

	if (inject_check(argv, sender, recipients, count, cause) != 0)
		return NULL;
	full = inject_argv(argv, sender, recipients, count);
	ij = inject_spawn(full, input, -1, timeout, cause);
	free(full);
	if (ij != NULL)
		log_debug("started %s, pid %ld, %zu recipient%s", ij->program,
		    (long)ij->pid, count, count == 1 ? "" : "s");
	return ij;
}

struct inject *
inject_start_session(char *const *argv, int timeout, int *to_child,
    int *from_child, char **cause)
{
	struct inject	*ij;
	char		**full;
	size_t		  n;
	int		  in[2], out[2];

	if (argv == NULL || argv[0] == NULL || argv[0][0] != '/') {
		*cause = xstrdup("sendmail_path is not an absolute path");
		return NULL;
	}
	if (inject_pipe(in) == -1) {
		*cause = xprintf("pipe: %s", strerror(errno));
		return NULL;
	}
	if (inject_pipe(out) == -1) {
		*cause = xprintf("pipe: %s", strerror(errno));
		close(in[0]);
		close(in[1]);
		return NULL;
	}
	for (n = 0; argv[n] != NULL; n++)
		;
	full = xreallocarray(NULL, n + 2, sizeof(*full));
	memcpy(full, argv, n * sizeof(*full));
	full[n] = "-bs";
	full[n + 1] = NULL;
	ij = inject_spawn(full, in[0], out[1], timeout, cause);
	free(full);
	close(in[0]);
	close(out[1]);
	if (ij == NULL) {
		close(in[1]);
		close(out[0]);
		return NULL;
	}
	ij->input = -1;		/* no file whose offset tells progress */
	*to_child = in[1];
	*from_child = out[0];
	log_debug("started %s -bs, pid %ld", ij->program, (long)ij->pid);
	return ij;
}

char *
inject_ended(struct inject *ij)
{
	if (ij->pid != -1 && inject_reap(ij, INJECT_TERM_WAIT) != 0)
		inject_kill(ij);
	return inject_cause(ij, NULL);
}

/* Whether sendmail read some of its input since the last look. */
static void
inject_progress(struct inject *ij)
{
	off_t	 offset;

	if ((offset = lseek(ij->input, 0, SEEK_CUR)) != -1 &&
	    offset != ij->offset) {
		ij->offset = offset;
		ij->progress = clock_ms();
	}
}

int
inject_poll(struct inject *ij, char **cause)
{
	inject_drain(ij);
	if (ij->pid != -1 && inject_reap(ij, 0) != 0) {
		inject_progress(ij);
		if (clock_ms() - ij->progress < ij->timeout)
			return INJECT_RUNNING;
		inject_kill(ij);
		*cause = inject_cause(ij, "timed out");
		return INJECT_FAILED;
	}
	if (ij->status != 0) {
		*cause = inject_cause(ij, NULL);
		return INJECT_FAILED;
	}
	if (ij->complaint_len > 0)
		log_debug("%s said: %.*s", ij->program,
		    (int)ij->complaint_len, ij->complaint);
	return INJECT_DELIVERED;
}

void
inject_pollfds(const struct inject *ij, struct pollfd *fds)
{
	fds[0].fd = ij->pid != -1 ? ij->pidfd : -1;
	fds[0].events = POLLIN;
	fds[1].fd = ij->output;
	fds[1].events = POLLIN;
}
