"""Converters between files or text and the domain's inputs and read models. No database, no UI."""
