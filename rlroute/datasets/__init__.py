"""rlroute.datasets."""
