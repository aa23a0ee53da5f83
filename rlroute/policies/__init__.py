"""rlroute.policies."""
