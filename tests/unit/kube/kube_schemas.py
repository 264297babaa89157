"""Schema validators for what `export kubernetes` writes, offline once installed:

- Kubernetes objects: kubernetes-validate (PyPI, bundles the Kubernetes OpenAPI schemas), strict (unknown fields
  are errors), for the version the manifests name.
- HTTPRoute: @kubernetes-models/gateway-api (npm), whose validators are generated from the Gateway API's Go types
  (types, enums, required fields, bounds, patterns), run with node; it does not reject unknown fields, so its
  TypeScript declarations (the same types' field names) are walked here to reject any field they do not declare.
  No PyPI or npm package found ships the Gateway API CRD YAML itself.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any, Dict, List, Optional, Tuple

import kubernetes_validate

from localep.kube.export import KUBERNETES_VERSION

GATEWAY_PACKAGE = "@kubernetes-models/gateway-api@2.0.0"
CHECK_SCRIPT = """
import { validate } from "@kubernetes-models/gateway-api/_schemas/IoK8sSigsGatewayApiApisV1HTTPRoute";
let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const ok = validate(JSON.parse(input));
  process.stdout.write(JSON.stringify(ok ? [] : validate.errors));
});
"""
PROPERTY = re.compile(r'^\s+"(\w+)"\??: (.+);$')
INTERFACE = re.compile(r"^export interface I(\w+)(?: extends ([\w, ]+))? \{$")
TYPE_NAME = re.compile(r"IIoK8sSigsGatewayApiApisV1(\w+)")


def kubernetes_errors(document: Dict[str, Any]) -> List[str]:
    try:
        kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)
    except kubernetes_validate.ValidationError as error:
        return [f"{'.'.join(str(p) for p in error.path)}: {error.message}"]
    return []


class GatewayApiSchemas:
    def __init__(self, root: Path):
        self.root = root
        self.types = root / "node_modules" / "@kubernetes-models" / "gateway-api" / "gateway.networking.k8s.io" / "v1"
        self._fields: Dict[str, Optional[Dict[str, str]]] = {}

    def errors(self, document: Dict[str, Any]) -> List[str]:
        result = subprocess.run(["node", str(self.root / "check.mjs")], input=json.dumps(document), text=True,
                                capture_output=True, cwd=self.root, timeout=60)
        assert result.returncode == 0, result.stderr
        found = [f"{e['instancePath']}: {e['keyword']} {e['params']}" for e in json.loads(result.stdout)]
        return found + self.unknown_fields(document["spec"], "HTTPRouteSpec", "/spec")

    def fields(self, type_name: str) -> Optional[Dict[str, str]]:
        """Field name -> declared type of a Gateway API v1 type; None for a scalar alias (string, number)."""
        if type_name not in self._fields:
            self._fields[type_name] = self._read(type_name)
        return self._fields[type_name]

    def _read(self, type_name: str) -> Optional[Dict[str, str]]:
        path = self.types / f"{type_name}.d.ts"
        fields: Dict[str, str] = {}
        inside = False
        for line in path.read_text().splitlines():
            header = INTERFACE.match(line)
            if header and header.group(1) == type_name:
                inside = True
                for parent in TYPE_NAME.findall(header.group(2) or ""):
                    fields.update(self.fields(parent) or {})
            elif inside and line.startswith("}"):
                return fields
            elif inside and PROPERTY.match(line):
                name, declared = PROPERTY.match(line).groups()  # type: ignore[union-attr]
                fields[name] = declared
        return None

    def unknown_fields(self, value: Any, type_name: str, where: str) -> List[str]:
        fields = self.fields(type_name)
        if fields is None or not isinstance(value, dict):
            return []
        problems = [f"{where}/{key}: not a field of {type_name}" for key in value if key not in fields]
        for key, item in value.items():
            nested = TYPE_NAME.search(fields.get(key, ""))
            if nested is None:
                continue
            for index, element in _elements(item):
                problems += self.unknown_fields(element, nested.group(1), f"{where}/{key}{index}")
        return problems


def _elements(item: Any) -> List[Tuple[str, Any]]:
    if isinstance(item, list):
        return [(f"/{i}", element) for i, element in enumerate(item)]
    return [("", item)]
