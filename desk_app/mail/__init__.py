"""E-mail: IMAP ingest, MIME parsing and sanitising, the SMTP outbox."""
