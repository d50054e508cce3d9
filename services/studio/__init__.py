"""The process owners' studio: drafts of process models and forms, their checks, safe uploads, publishing,
comparisons and the migration of running instances."""
