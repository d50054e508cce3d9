"""The process owners' studio: drafts, checks, comparisons, trials and migration of process models."""
