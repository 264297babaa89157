"""One module per CLI command, each exposing `command`; cli.py lists them."""
