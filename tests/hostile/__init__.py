"""The hostile suite: files, command lines, environments, saved plans and venue answers meant to break the tool.

Every case ends in exit 1 (or the documented code) with one line on stderr naming the place, no traceback, no
"internal error", no secret in the output, and no write in the simulator's call log.
"""
