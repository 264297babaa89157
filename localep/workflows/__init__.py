"""Workflows that compose the layers (spec -> images -> runtime -> replay) for one command, without CLI concerns."""
