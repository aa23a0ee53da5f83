"""rlroute.calibrate."""
