"""Developer tooling for portkey-runs (not shipped)."""
