"""The benchmark (run.py) and the venues' documented rate limits it measures against (venue_limits.py)."""
