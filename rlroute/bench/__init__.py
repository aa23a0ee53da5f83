"""rlroute.bench."""
