"""Email as a transport: mailer.py drains the outbox's ``email`` rows over SMTP, mime.py
builds the messages. What each mail says is commands/email/mailings.py."""
