#!/bin/sh
# Build the libFuzzer targets with clang (ASan+UBSan) and run each for the
# given number of seconds (default 60), starting from its seed corpus in
# tests/fuzz/corpus/TARGET/ (every target has one). Inputs are up to 8 KiB,
# except for the targets that read server lines through fetcher/transport.c:
# twice its read buffer (TRANSPORT_BUFFER) and more, so that lines longer
# than the buffer, which arrive in pieces, are fuzzed too (their seeds hold
# such lines). Crashes are written to build/fuzz/ and make the script fail.
#   tests/fuzz/run.sh [SECONDS]
set -eu

seconds=${1:-60}
top=$(cd "$(dirname "$0")/../.." && pwd)
out=$top/build/fuzz
cc=${FUZZ_CC:-clang}
pkgs="libbsd-overlay openssl libpq"

mkdir -p "$out"
cd "$top"
buffer=$(sed -n 's/^#define[[:space:]]*TRANSPORT_BUFFER[[:space:]]*\([0-9]*\).*/\1/p' \
    fetcher/transport.h)
[ -n "$buffer" ] || { echo "run.sh: no TRANSPORT_BUFFER in fetcher/transport.h" >&2; exit 1; }
status=0
for file in tests/fuzz/fuzz_*.c; do
	target=$(basename "$file" .c)
	# The module under test beside all of common/ (the linker keeps only
	# what is used).
	case $target in
	fuzz_header) extra="fetcher/header.c" ;;
	fuzz_message) extra="fetcher/message.c fetcher/header.c
	    fetcher/spool.c fetcher/imap_utf7.c" ;;
	fuzz_imap) extra="tests/fuzz/server.c fetcher/imap.c fetcher/imap_auth.c
	    fetcher/imap_mail.c fetcher/imap_folder.c
	    fetcher/imap_fetch.c fetcher/imap_reader.c fetcher/imap_utf7.c
	    fetcher/auth.c fetcher/header.c fetcher/transport.c fetcher/sasl.c
	    fetcher/token.c fetcher/program.c fetcher/driver_tls.c" ;;
	fuzz_imap_reader) extra="tests/fuzz/server.c fetcher/imap_reader.c
	    fetcher/transport.c" ;;
	fuzz_imap_utf7) extra="fetcher/imap_utf7.c" ;;
	fuzz_pop3) extra="tests/fuzz/server.c fetcher/pop3.c fetcher/pop3_auth.c
	    fetcher/auth.c fetcher/transport.c fetcher/sasl.c fetcher/token.c
	    fetcher/program.c fetcher/driver_tls.c" ;;
	fuzz_rewrite) extra="milter/rewrite.c" ;;
	*) extra="" ;;
	esac
	sources="$(echo common/*.c) $extra"
	case $extra in
	*fetcher/transport.c*) max_len=$((2 * buffer + 8192)) ;;
	*) max_len=8192 ;;
	esac
	if [ ! -d "tests/fuzz/corpus/$target" ]; then
		echo "$target: no seed corpus tests/fuzz/corpus/$target/" >&2
		status=1
	fi
	# shellcheck disable=SC2046,SC2086
	$cc -g -O1 -std=c11 -D_GNU_SOURCE -Icommon \
	    -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
	    $(pkg-config --cflags $pkgs) -o "$out/$target" \
	    "tests/fuzz/$target.c" $sources $(pkg-config --libs $pkgs) -pthread
	corpus=$out/corpus-$target
	mkdir -p "$corpus"
	if [ -d "tests/fuzz/corpus/$target" ]; then
		cp -n "tests/fuzz/corpus/$target"/* "$corpus"/ 2>/dev/null || :
	fi
	echo "$target: fuzzing for ${seconds}s, inputs up to $max_len bytes"
	if ! "$out/$target" -max_total_time="$seconds" -max_len="$max_len" \
	    -artifact_prefix="$out/$target-" -print_final_stats=1 \
	    "$corpus" >"$out/$target.log" 2>&1; then
		echo "$target: FAILED; see $out/$target.log" >&2
		tail -n 40 "$out/$target.log" >&2
		status=1
	else
		grep -E '^stat::number_of_executed_units' "$out/$target.log" || :
	fi
done
exit $status
