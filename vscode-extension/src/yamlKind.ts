/**
 * Which Azure ML file a YAML document is, from its content (file names are free-form). The rules are
 * those of `classify` in localep/yamlspec/loader.py, so the editor offers exactly what the CLI accepts.
 */

import { isMap, parseDocument } from "yaml";

export type YamlKind = "online-deployment" | "batch-deployment" | "online-endpoint" | "batch-endpoint";

export interface AzureMlFile {
  kind: YamlKind;
  /** The `name:` value and its zero-based line, where the CodeLens goes (line 0 when absent). */
  name: string | null;
  line: number;
}

const ONLINE_ENDPOINT_KEYS = ["auth_mode", "traffic", "mirror_traffic"];
/** Keys only a batch deployment has (BATCH_ONLY_KEYS in loader.py): the legacy flat form puts settings at the root. */
const BATCH_ONLY_KEYS = ["compute", "mini_batch_size", "max_concurrency_per_instance", "output_action", "output_file_name",
  "retry_settings", "error_threshold", "logging_level"];

export function classifyYaml(text: string, fileName: string): AzureMlFile | null {
  let data: Record<string, unknown>;
  let nameOffset: number | null = null;
  try {
    const document = parseDocument(text, { uniqueKeys: false });
    if (document.errors.length > 0 || !isMap(document.contents)) {
      return null;
    }
    data = document.toJS() as Record<string, unknown>;
    const namePair = document.contents.items.find((pair) => (pair.key as { value?: unknown })?.value === "name");
    nameOffset = (namePair?.key as { range?: [number, number] } | undefined)?.range?.[0] ?? null;
  } catch {
    return null; // not YAML (yet): the user is typing
  }
  const kind = kindOf(data, fileName);
  if (kind === null) {
    return null;
  }
  const line = nameOffset === null ? 0 : text.slice(0, nameOffset).split("\n").length - 1;
  return { kind, name: typeof data.name === "string" ? data.name : null, line };
}

function kindOf(data: Record<string, unknown>, fileName: string): YamlKind | null {
  const schema = String(data.$schema ?? "").toLowerCase();
  const type = String(data.type ?? "").toLowerCase();
  if (schema.includes("batchdeployment") || ["model", "pipeline"].includes(type) ||
    ("compute" in data && "mini_batch_size" in data) ||
    ("endpoint_name" in data && BATCH_ONLY_KEYS.some((key) => key in data))) {
    return "batch-deployment";
  }
  if ("endpoint_name" in data) {
    return "online-deployment";
  }
  if (schema.includes("batchendpoint") || "defaults" in data) {
    return "batch-endpoint";
  }
  const baseName = fileName.split(/[\\/]/).pop()!.toLowerCase();
  if (schema.includes("onlineendpoint") || ONLINE_ENDPOINT_KEYS.some((key) => key in data) ||
    ("name" in data && baseName.includes("endpoint"))) {
    return "online-endpoint";
  }
  return null;
}

/** The files `localep up`, `smoke` and the debugger take. */
export function isOnlineDeployment(file: AzureMlFile | null): boolean {
  return file?.kind === "online-deployment";
}
