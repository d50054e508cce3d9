"""Domain services of MAPPA Flow: cases, inbox tasks, access control, scheduler jobs, models."""
