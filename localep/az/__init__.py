"""`localep az`: the `az ml` command lines people already script, answered locally with az's JSON and exit codes."""
