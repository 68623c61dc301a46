"""The mention pipeline: classify, route and enqueue each stored mention; card actions."""
