"""The headless mail worker: IMAP ingest, the SMTP outbox and account leases."""
