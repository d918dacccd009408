# Find and kill the processes left under a directory: used by harness.sh at
# exit and by tests/run-tests after each test script.

# Print the pids of processes whose cwd, root or command line is under DIR
# (not this shell's).
pf_pids_under()
{
	perl -e '
		my ($dir, @skip) = @ARGV;
		my %skip = map { $_ => 1 } @skip, $$, getppid();
		opendir(my $d, "/proc") or exit 0;
		for my $pid (grep { /^\d+$/ } readdir $d) {
			next if $skip{$pid};
			my $hit = 0;
			for my $l ("cwd", "root") {
				my $t = readlink("/proc/$pid/$l") // next;
				$hit = 1 if $t eq $dir || index($t, "$dir/") == 0;
			}
			if (!$hit && open(my $f, "<", "/proc/$pid/cmdline")) {
				local $/;
				my $c = <$f> // "";
				$hit = 1 if index($c, $dir) >= 0;
			}
			print "$pid\n" if $hit;
		}' "$1" "$$" "$BASHPID"
}

# Kill (TERM, then KILL) every process still running under DIR.
pf_kill_under()
{
	local pids i
	pids=$(pf_pids_under "$1")
	[ -n "$pids" ] || return 0
	# shellcheck disable=SC2086
	kill -TERM $pids 2>/dev/null
	for ((i = 0; i < 20; i++)); do
		pids=$(pf_pids_under "$1")
		[ -n "$pids" ] || return 0
		sleep 0.1
	done
	# shellcheck disable=SC2086
	kill -KILL $pids 2>/dev/null
	return 0
}

# True if any of the PIDs is a live process (zombies waiting for a slow
# init to reap them do not count).
pf_alive()
{
	local pid state
	for pid in "$@"; do
		state=$(sed 's/.*) //' 2>/dev/null <"/proc/$pid/stat" | cut -c1)
		[ -n "$state" ] && [ "$state" != Z ] && return 0
	done
	return 1
}
