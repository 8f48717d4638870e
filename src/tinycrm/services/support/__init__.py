"""The support desk: tickets with SLAs in business hours, replies by mail, mail in (inbound), the knowledge
base and the support report (see docs/support.md)."""
