/* One remote mailbox, as read from postfetch.account. */
#ifndef ACCOUNT_H
#define ACCOUNT_H

struct account {
	long long	 id;
	char		*name;
	char		*protocol;	/* "pop3", "imap", "etrn" */
	char		*host;
	int		 port;		/* 0 = the default for protocol+tls */
	char		*tls;		/* detect, direct, starttls, disable */
	int		 tls_verify;
	int		 tls_seen;	/* detect: TLS negotiated once */
	char		*tls_fingerprint; /* SHA-256 hex pin, or NULL */
	char		*username;
	char		*password;	/* wiped with explicit_bzero on free */
	char		*auth;		/* any, password, apop, ... */
	int		 keep;
	char	       **folders;	/* NULL-terminated */
	char		*deliver_to;	/* single-drop, or NULL = multidrop */
	char		*fallback;	/* or NULL = postmaster */
	char		*domain;
	long long	 max_size;	/* 0 = no limit */
	long long	 mailbox_generation; /* raised when it is another mailbox */
	char		*schedule;	/* NULL = the configuration's default */
};

void	account_free(struct account *);

#endif
