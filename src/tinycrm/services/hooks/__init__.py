"""Webhooks: the outbox of events (:mod:`.outbox`), the hooks that receive them (:mod:`.registry`) and their
delivery (:mod:`.delivery`)."""
