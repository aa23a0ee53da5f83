"""rlroute.sim."""
