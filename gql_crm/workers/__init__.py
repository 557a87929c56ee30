"""Background jobs (arq worker settings, cron and job functions, the in-process runner)."""
