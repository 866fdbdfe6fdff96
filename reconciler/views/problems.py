"""The loader's messages (`file:line: key.path: message`) as records, JSON and GitHub workflow annotations."""

from __future__ import annotations

import json
import re

# The one place that knows the loader's message form; the line and the key path are each optional.
_MESSAGE = re.compile(r"^(?P<file>.+?):(?:(?P<line>\d+):)? (?:(?P<path>\(top level\)|[^\s:]+): )?(?P<message>.*)$",
                      re.S)


def parse_problem(text: str) -> dict:
    """{file, line, path, message} of one loader message; a message of another form keeps its whole text."""
    match = _MESSAGE.match(text)
    if not match:
        return {"file": None, "line": None, "path": None, "message": text}
    line = match["line"]
    return {"file": match["file"], "line": int(line) if line else None, "path": match["path"],
            "message": match["message"]}


def problems_json(messages: list[str]) -> str:
    return json.dumps([parse_problem(text) for text in messages], indent=2) + "\n"


def _escape(text: str, *, property_value: bool = False) -> str:
    """GitHub's workflow-command escaping (data: % CR LF; property values also : and ,)."""
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return text.replace(":", "%3A").replace(",", "%2C") if property_value else text


def problems_github(messages: list[str]) -> str:
    lines = []
    for problem in map(parse_problem, messages):
        where = [f"file={_escape(problem['file'], property_value=True)}"] if problem["file"] else []
        if problem["line"]:
            where.append(f"line={problem['line']}")
        text = f"{problem['path']}: {problem['message']}" if problem["path"] else problem["message"]
        lines.append(f"::error {','.join(where)}::{_escape(text)}".replace("::error ::", "::error::"))
    return "\n".join(lines) + "\n"
