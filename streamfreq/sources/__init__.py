"""Audio sources."""
