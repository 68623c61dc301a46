"""Scheduled digests: composition (pure, over stored data), rendering, chart, summary and delivery."""
