#!/bin/bash
# Schedules: "postfetch poll" without names polls only the accounts whose
# schedule (or default_schedule) allows now, and logs the others at debug
# level; "poll NAME" polls an account whatever its schedule; "status"
# shows the next time the schedule allows. Run in Europe/Warsaw (when
# installed), so that local time is not UTC.
source "$(dirname "$0")/../lib/harness.sh"
source "$(dirname "$0")/fetch_common.sh"
fetch_setup closed open defaulted exempt never

# The fetcher's local time zone; date(1) below uses the same.
if [ -e /usr/share/zoneinfo/Europe/Warsaw ]; then
	export TZ=Europe/Warsaw
fi

# Day names now, and the date two days on, taken at one instant: a
# schedule of that day only excludes now even if the test crosses
# midnight; one of today and tomorrow includes it.
now=$(date +%s)
today=$(LC_ALL=C date -d "@$now" +%a | tr 'A-Z' 'a-z')
tomorrow=$(LC_ALL=C date -d "@$((now + 86400))" +%a | tr 'A-Z' 'a-z')
later=$(LC_ALL=C date -d "@$((now + 2 * 86400))" +%a | tr 'A-Z' 'a-z')
later_start="$(date -d "@$((now + 2 * 86400))" +%F) 00:00:00"
excluding="$later 00:00-24:00"
including="$today-$tomorrow 00:00-24:00"

for name in closed open defaulted exempt never; do
	small_message "$PF_TMP/$name" "$name"
	mailbox_fill "$name" "$PF_TMP/$name"
done
account_add closed port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'" schedule="'$excluding'"
account_add open port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'" schedule="'$including'"
account_add defaulted port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'"
account_add exempt port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'" schedule="'always'"
account_add never port="$PF_POP3S_PORT" tls="'direct'" \
    deliver_to="'bob@example.com'" schedule="'mon 08:00-08:00'"

# The number of poll rows of account NAME.
polls()
{
	sql "SELECT count(*) FROM postfetch.poll p JOIN postfetch.account a
	    ON a.id = p.account_id WHERE a.name = '$1'"
}

# The NEXT POLL column of account NAME in the last status output.
next_poll()
{
	awk -v name="$1" '$1 == name { print ($NF ~ /:/ ? $(NF - 1) " " : "") $NF }' \
	    "$PF_OUT"
}

# --- a bad default_schedule is a configuration error ------------------------
fetch_conf "default_schedule = weekdays 07:00-19:00"
fetch_run poll
is "$PF_RC" 2 "a bad default_schedule: exit 2"
like "$(cat "$PF_LOG")" 'default_schedule: "weekdays": not a day or a range of days' \
    "the error names the key and the bad part"

# --- poll without names: the schedules decide --------------------------------
fetch_conf "default_schedule = $excluding"
fetch_run -v poll
is "$PF_RC" 0 "poll of all accounts exits 0"
log_on_failure "$PF_RC"
is "$(polls closed)|$(mailbox_count closed)" "0|1" \
    "a schedule that excludes now: not polled, the message stays"
like "$(log_grep 'account=closed: not polled')" \
    "outside its schedule \"$excluding\"; next at $later_start" \
    "and a debug line says why and when next"
is "$(polls open)|$(mailbox_count open)" "1|0" "a schedule that includes now: polled"
is "$(polls defaulted)|$(mailbox_count defaulted)" "0|1" \
    "no schedule and a default_schedule that excludes now: not polled"
like "$(log_grep 'account=defaulted: not polled')" \
    "outside its default_schedule \"$excluding\"" "the debug line names the default"
is "$(polls exempt)|$(mailbox_count exempt)" "1|0" \
    "always overrides default_schedule: polled"
is "$(polls never)" 0 "a schedule of empty windows: never polled"
ok "bob has the two messages polled" wait_for_delivery bob 2

# --- status: the next time the schedule allows --------------------------------
fetch_run status
is "$PF_RC" 0 "status exits 0"
is "$(next_poll closed)" "$later_start" \
    "status: a never-polled account whose schedule excludes now: its next window"
is "$(next_poll defaulted)" "$later_start" "status: the same through default_schedule"
is "$(next_poll never)" "never" "status: empty windows: never"
epoch=$(sql "SELECT floor(extract(epoch FROM next_poll)) FROM postfetch.account
    WHERE name = 'open'")
is "$(next_poll open)" "$(date -d "@$epoch" '+%F %T')" \
    "status: an allowed next_poll is shown as it is, in local time"

# --- a name is polled whatever its schedule says -----------------------------
fetch_poll closed
is "$PF_RC" 0 "poll closed exits 0"
log_on_failure "$PF_RC"
is "$(polls closed)|$(mailbox_count closed)" "1|0" \
    "an account polled by name is polled outside its schedule"
fetch_run status
is "$(next_poll closed)" "$later_start" \
    "status: next_poll (in 5 minutes) moves to the schedule's next window"

# --- without default_schedule, accounts without a schedule are polled -------
mailbox_fill defaulted "$PF_TMP/defaulted"
fetch_conf
fetch_run poll
is "$PF_RC" 0 "poll of all accounts exits 0"
is "$(polls defaulted)|$(mailbox_count defaulted)" "1|0" \
    "default_schedule empty: an account without a schedule is polled"
is "$(polls closed)" 1 "the account with its own schedule is still not"
fetch_run status
like "$(next_poll defaulted)" '^[0-9-]+ [0-9:]+$' "status: its next_poll as it is"

done_testing
