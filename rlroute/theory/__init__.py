"""rlroute.theory."""
