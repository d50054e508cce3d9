"""Statistics for managers and the Strategic Management Board."""
