"""Tasks, the agenda and cron reminders."""
