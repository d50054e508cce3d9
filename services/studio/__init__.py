"""The process owners' studio: drafts of process models and forms, their checks, safe uploads and publishing."""
