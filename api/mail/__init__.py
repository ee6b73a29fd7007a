"""E-mail: the outbox, the messages (templates under web/templates/mail/), links made at send time,
and the worker that sends. Domains queue mail with `api.mail.outbox.enqueue`; only the worker talks
SMTP."""
