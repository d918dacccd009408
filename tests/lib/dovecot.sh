# dovecot helpers for the test harness (sourced by harness.sh); work in progress.
