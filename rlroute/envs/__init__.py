"""rlroute.envs."""
