"""Views: render plans and apply reports for people (text, Markdown) and machines (JSON)."""
