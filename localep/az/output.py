"""`--query` then `-o`, once for every verb, with azure-cli's (knack's) rules for each format."""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass
from io import StringIO
from typing import Any, Dict, List, Optional

import jmespath
import jmespath.exceptions
import yaml

from localep.az.errors import AzError, AzExit

FORMATS = ("json", "jsonc", "tsv", "table", "yaml", "yamlc", "none")
TABLE_SKIP_KEYS = ("id", "type", "etag")


@dataclass(frozen=True)
class RawText:
    """A verb whose answer is text to print as is (logs), not a document to format."""

    text: str


def compile_query(text: str) -> Any:
    try:
        return jmespath.compile(text)
    except (jmespath.exceptions.JMESPathError, KeyError) as error:
        raise AzError(f"argument --query: invalid jmespath_type value: {text!r} ({error})", AzExit.USAGE) from None


def apply_query(result: Any, query: Optional[str]) -> Any:
    if not query:
        return result
    try:
        return compile_query(query).search(result, jmespath.Options(dict_cls=collections.OrderedDict))
    except jmespath.exceptions.JMESPathError as error:
        raise AzError(f"--query {query!r}: {error}") from None


def render(result: Any, output: str, query: Optional[str] = None) -> str:
    """What az prints on stdout for `result`; nothing at all for a None result, as az does."""
    if isinstance(result, RawText):
        return "" if output == "none" else result.text + ("" if result.text.endswith("\n") or not result.text else "\n")
    result = apply_query(result, query)
    if result is None or output == "none":
        return ""
    if output in ("json", "jsonc"):
        return json.dumps(result, ensure_ascii=False, indent=2, sort_keys=True, separators=(",", ": "), default=str) + "\n"
    if output in ("yaml", "yamlc"):
        return yaml.safe_dump(json.loads(json.dumps(result, default=str)), default_flow_style=False, allow_unicode=True)
    if output == "tsv":
        return tsv(result if isinstance(result, list) else [result])
    if output == "table":
        return table(result if isinstance(result, list) else [result], sort_keys=not query)
    raise AzError(f"argument --output/-o: invalid choice: {output!r} (choose from {', '.join(FORMATS)})", AzExit.USAGE)


def tsv(rows: List[Any]) -> str:
    """One line per item; a mapping's values in key order (query order when --query shaped it); nested
    mappings print empty and lists their length, so columns stay aligned."""
    stream = StringIO()
    for row in rows:
        if isinstance(row, dict):
            values = list(row.values()) if isinstance(row, collections.OrderedDict) else [v for _, v in sorted(row.items())]
            stream.write("\t".join(_tsv_cell(value) for value in values))
        elif isinstance(row, list):
            stream.write("\t".join(_tsv_cell(value) for value in row))
        elif isinstance(row, bool):
            stream.write(str(row).lower())
        else:
            stream.write(_tsv_cell(row))
        stream.write("\n")
    return stream.getvalue()


def _tsv_cell(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ""
    return value if isinstance(value, str) else str(value)


def table(rows: List[Any], sort_keys: bool) -> str:
    """Scalar fields only (id, type and etag left out), headers capitalised, as az's automatic table."""
    entries = [_table_entry(row, sort_keys) for row in rows]
    headers: List[str] = []
    for entry in entries:
        headers += [key for key in entry if key not in headers]
    if not headers:
        if rows:
            raise AzError("Table output unavailable. Use the --query option to specify an appropriate query.")
        return ""
    cells = [[_table_cell(entry.get(header)) for header in headers] for entry in entries]
    widths = [max([len(header)] + [len(row[i]) for row in cells]) for i, header in enumerate(headers)]
    lines = ["  ".join(header.ljust(width) for header, width in zip(headers, widths)).rstrip(),
             "  ".join("-" * width for width in widths)]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in cells]
    return "\n".join(lines) + "\n"


def _table_entry(row: Any, sort_keys: bool) -> Dict[str, Any]:
    if isinstance(row, dict):
        keys = sorted(row) if sort_keys else list(row)
        return {key[:1].upper() + key[1:]: row[key] for key in keys
                if key not in TABLE_SKIP_KEYS and row[key] is not None and not isinstance(row[key], (list, dict))}
    if isinstance(row, list):
        return {f"Column{index + 1}": value for index, value in enumerate(row)}
    return {"Result": row}


def _table_cell(value: Any) -> str:
    if value is None:
        return ""
    return str(value)
