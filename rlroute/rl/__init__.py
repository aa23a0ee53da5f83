"""rlroute.rl."""
