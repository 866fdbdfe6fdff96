"""Says what a JSON Schema rule asks in this project's words, for the loaders' messages (never the library's)."""

from __future__ import annotations

_KINDS = {"object": "a mapping", "array": "a list", "string": "text", "number": "a number",
          "integer": "a whole number", "boolean": "true or false", "null": "nothing"}


def in_our_words(error) -> str:
    """What a schema rule without an `x-error` asks, in this project's words (never the library's)."""
    kind, value = error.validator, error.validator_value
    words = {
        "type": lambda: "must be " + " or ".join(_KINDS.get(t, t) for t in ([value] if isinstance(value, str) else value)),
        "enum": lambda: "must be one of: " + ", ".join(str(v) for v in value),
        "const": lambda: f"must be {value}",
        "minimum": lambda: f"must be at least {value}",
        "exclusiveMinimum": lambda: f"must be above {value}",
        "maximum": lambda: f"must be at most {value}",
        "exclusiveMaximum": lambda: f"must be below {value}",
        "minLength": lambda: f"must be at least {value} characters long",
        "maxLength": lambda: f"must be at most {value} characters long",
        "minItems": lambda: f"must list at least {value}",
        "maxItems": lambda: f"must list at most {value}",
        "minProperties": lambda: "must not be empty",
        "maxProperties": lambda: "must be empty" if value == 0 else f"must have at most {value} entries",
        "uniqueItems": lambda: "lists one value twice",
        "pattern": lambda: "does not have the form this key takes",
        "required": lambda: "missing key " + ", ".join(repr(k) for k in value if k not in error.instance),
        "additionalProperties": lambda: _unknown_keys(error),
    }.get(kind)
    return words() if words else "is not one of the forms this key takes"


def _unknown_keys(error) -> str:
    allowed = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
    unknown = [key for key in error.instance if key not in allowed] if isinstance(error.instance, dict) else []
    return f"unknown key {', '.join(map(repr, unknown))}" + (
        f" (expected one of: {', '.join(sorted(allowed))})" if allowed else "")
