"""Venue adapters: each translates between the venue-neutral model and one venue's REST API."""
