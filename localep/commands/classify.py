"""`localep classify`: which Azure ML file each YAML is, so editors offer exactly what the CLI accepts.

The VS Code extension asks this command instead of restating the rules of `yamlspec.loader.classify`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Optional, Tuple

import click

from localep.commands.output import emit_json, handles_errors
from localep.errors import LocalepError
from localep.yamlspec import read_document
from localep.yamlspec.loader import (
    BATCH_DEPLOYMENT,
    BATCH_ENDPOINT,
    DEPLOYMENT,
    ENDPOINT,
    looks_like_online_endpoint,
)
from localep.yamlspec.loader import classify as classify_data
from localep.yamlspec.yamlio import Document

# The kinds an editor acts on, by their stable names in the JSON; anything else (conda files, CI YAML) is null.
KIND_NAMES = {
    DEPLOYMENT: "online-deployment",
    ENDPOINT: "online-endpoint",
    BATCH_DEPLOYMENT: "batch-deployment",
    BATCH_ENDPOINT: "batch-endpoint",
}


def file_kind(document: Document) -> Optional[str]:
    """The kind's JSON name; an endpoint only when the file looks like one, as when `up` reads a folder."""
    kind = classify_data(document.data)
    if kind == ENDPOINT and not looks_like_online_endpoint(document):
        return None
    return KIND_NAMES.get(kind)


def classify_file(path: Path) -> Dict[str, Any]:
    """One row of the report; a file that cannot be read or parsed is no Azure ML file, with the reason."""
    kind: Optional[str] = None
    name_and_line: Tuple[Optional[str], Optional[int]] = (None, None)
    error: Optional[str] = None
    try:
        document = read_document(path)
        kind = file_kind(document)
        name = document.data.get("name")
        name_and_line = (name if isinstance(name, str) else None, document.lines.get("name"))
    except LocalepError as problem:
        error = problem.message
    return {"file": str(path), "kind": kind, "name": name_and_line[0], "line": name_and_line[1], "error": error}


@click.command("classify")
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list, one object per file, on stdout.")
@handles_errors
def command(files: Tuple[Path, ...], as_json: bool) -> None:
    """Say which Azure ML file each YAML file is, from its content (file names are free-form).

    Kinds: online-deployment, online-endpoint, batch-deployment, batch-endpoint, or none. With --json each
    object has file, kind (null for other YAML), name, line (1-based, of `name:`) and error (why a file
    could not be read). Exits 0 even when some files are not Azure ML YAML.

    \b
    Example:
      localep classify examples/numpy-regression/*.yml --json
    """
    rows = [classify_file(path) for path in files]
    if as_json:
        emit_json(rows)
        return
    for row in rows:
        click.echo(f"{row['file']}\t{row['kind'] or row['error'] or 'none'}")
