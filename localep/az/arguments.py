"""Every az flag localep accepts, declared once (like azure-cli's `_params.py`) and shared by the verbs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Optional, Tuple

from localep.az.output import FORMATS


@dataclass(frozen=True)
class Arg:
    flags: Tuple[str, ...]
    dest: str
    help: str
    flag: bool = False  # takes no value
    many: bool = False  # takes one or more values, and may repeat (`--set a=1 b=2 --set c=3`)
    choices: Optional[Tuple[str, ...]] = None
    default: Any = None
    required: bool = False
    no_local_effect: str = ""  # accepted for compatibility; the one-time notice says why it changes nothing

    def needed(self) -> Arg:
        return replace(self, required=True)


def accepted(flags: Tuple[str, ...], dest: str, why: str, flag: bool = False, many: bool = False) -> Arg:
    return Arg(flags, dest, f"Accepted for az compatibility; no local effect ({why}).", flag=flag, many=many,
               no_local_effect=why)


NAME = Arg(("-n", "--name"), "name", "Name of the resource.")
ENDPOINT_NAME = Arg(("-e", "--endpoint-name", "--endpoint"), "endpoint_name", "Name of the endpoint.")
FILE = Arg(("-f", "--file"), "file", "Local path to the YAML file with the resource's configuration.")
SET = Arg(("--set",), "set", "Update a field: --set PATH=VALUE (e.g. instance_count=2, tags.team=ml, "
                             "environment_variables.X=1); repeatable.", many=True)
VERSION = Arg(("-v", "--version"), "version", "Version (default: the next one, starting at 1).")
LABEL = Arg(("-l", "--label"), "label", "Label instead of a version: only 'latest'.")
PATH = Arg(("-p", "--path"), "path", "Local file or folder (copied into the local registry).")
DESCRIPTION = Arg(("-d", "--description"), "description", "Description.")
TAGS = Arg(("--tags",), "tags", "Space-separated key=value tags.", many=True)
YES = Arg(("-y", "--yes"), "yes", "Do not prompt for confirmation.", flag=True)
LOCAL = Arg(("--local",), "local", "Run locally (always true here); endpoints created with --local, like az ml "
                                   "--local ones, accept requests without a key.", flag=True)
NO_WAIT = accepted(("--no-wait",), "no_wait", "local operations finish in seconds, so they always wait", flag=True)
INCLUDE_ARCHIVED = Arg(("--include-archived",), "include_archived", "List archived versions too.", flag=True)
ARCHIVED_ONLY = Arg(("--archived-only",), "archived_only", "List only archived versions.", flag=True)
MAX_RESULTS = Arg(("-r", "--max-results"), "max_results", "At most this many results.")

QUERY = Arg(("--query",), "query", "JMESPath query string, applied before --output (see https://jmespath.org).")
OUTPUT = Arg(("-o", "--output"), "output", "Output format.", choices=FORMATS, default="json")
ONLY_SHOW_ERRORS = Arg(("--only-show-errors",), "only_show_errors", "Only show errors, no notices.", flag=True)
GLOBAL = (
    QUERY,
    OUTPUT,
    ONLY_SHOW_ERRORS,
    accepted(("-g", "--resource-group"), "resource_group", "there is no resource group on this machine"),
    accepted(("-w", "--workspace-name"), "workspace_name", "the local registry is this machine's only workspace"),
    accepted(("--subscription",), "subscription", "nothing is billed to a subscription locally"),
    accepted(("--verbose",), "verbose", "progress is always shown on stderr", flag=True),
    accepted(("--debug",), "debug", "progress is always shown on stderr", flag=True),
)
