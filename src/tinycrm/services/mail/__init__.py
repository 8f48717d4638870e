"""Mail out (SMTP); the mail-in pipeline grows here."""
