"""Local HTTP simulators of the venues, written from the venue documents (imports nothing from the adapters)."""
