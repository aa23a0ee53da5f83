"""rlroute.cli."""
