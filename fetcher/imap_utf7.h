/*
 * IMAP modified UTF-7 (RFC 3501 section 5.1.3), the encoding of mailbox
 * names on the wire, to and from UTF-8. Both directions are strict:
 * only the one canonical form of a name is accepted, so that a name
 * decoded and encoded again is the name the server sent.
 */
#ifndef IMAP_UTF7_H
#define IMAP_UTF7_H

/*
 * Octets of a name in either encoding. Both directions refuse a name
 * whose input or output is longer, so that whatever one accepts the
 * other takes back.
 */
#define IMAP_UTF7_MAX	4096

/*
 * UTF-8 folder name -> IMAP modified UTF-7 (malloc'd). NULL if the input
 * is not valid UTF-8 (overlongs, surrogates, > U+10FFFF, truncated
 * sequences) or either form is longer than IMAP_UTF7_MAX octets.
 */
char	*imap_utf7_encode(const char *utf8);
/*
 * IMAP modified UTF-7 -> UTF-8 (malloc'd). NULL if either form is longer
 * than IMAP_UTF7_MAX octets or the input is not in canonical form: an
 * octet that is not printable ASCII, a shift with a character outside
 * the modified base64 alphabet, without its '-', with non-zero or whole
 * padding, that encodes printable ASCII or U+0000, that breaks a
 * surrogate pair, or that follows another shift directly. "&-" is '&'.
 */
char	*imap_utf7_decode(const char *mutf7);

#endif
