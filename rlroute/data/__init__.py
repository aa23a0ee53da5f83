"""rlroute.data."""
