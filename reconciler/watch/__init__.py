"""`reconciler watch`: the controller that keeps reading accounts, reports drift and heals it where the file says so."""
