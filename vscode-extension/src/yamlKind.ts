/**
 * Which Azure ML file a YAML file is, as the CLI says (`localep classify --json`): the rules live in
 * localep/yamlspec/loader.py only, so the editor offers exactly what the CLI accepts. Answers are cached per
 * file and modification time, so CodeLens and the Explorer's menus do not run the CLI on every request.
 */

import { statSync } from "fs";

export type YamlKind = "online-deployment" | "batch-deployment" | "online-endpoint" | "batch-endpoint";

const KINDS: string[] = ["online-deployment", "batch-deployment", "online-endpoint", "batch-endpoint"];

export interface AzureMlFile {
  kind: YamlKind;
  /** The `name:` value and its zero-based line, where the CodeLens goes (line 0 when absent). */
  name: string | null;
  line: number;
}

/** `localep classify --json` output -> file path to its kind (null: not an Azure ML file the editor acts on). */
export function parseClassifyOutput(stdout: string): Map<string, AzureMlFile | null> {
  const rows = JSON.parse(stdout) as unknown;
  if (!Array.isArray(rows)) {
    throw new Error(`\`localep classify --json\` printed no list: ${stdout.trim().slice(0, 80)}`);
  }
  const kinds = new Map<string, AzureMlFile | null>();
  for (const row of rows as Record<string, unknown>[]) {
    const kind = typeof row.kind === "string" && KINDS.includes(row.kind) ? row.kind as YamlKind : null;
    const line = typeof row.line === "number" && row.line > 0 ? row.line - 1 : 0;
    kinds.set(String(row.file), kind === null ? null : { kind, name: typeof row.name === "string" ? row.name : null, line });
  }
  return kinds;
}

/** The files `localep up`, `smoke` and the debugger take. */
export function isOnlineDeployment(file: AzureMlFile | null | undefined): boolean {
  return file?.kind === "online-deployment";
}

/** Runs `localep classify --json FILES...` (LocalepCli.classify). */
export type ClassifyRunner = (files: string[]) => Promise<Map<string, AzureMlFile | null>>;

/** Files per CLI run: far below any command-line limit. */
const BATCH = 200;

export class Classifier {
  private readonly cache = new Map<string, { mtimeMs: number; file: AzureMlFile | null }>();

  constructor(private readonly run: ClassifyRunner) {}

  /** Each file's kind; one CLI run per batch of files that changed since they were last asked about. */
  async classify(files: string[]): Promise<Map<string, AzureMlFile | null>> {
    const stale = files.filter((file) => this.cache.get(file)?.mtimeMs !== mtimeOf(file));
    for (let start = 0; start < stale.length; start += BATCH) {
      const batch = stale.slice(start, start + BATCH);
      const times = batch.map(mtimeOf);
      const answers = await this.run(batch);
      batch.forEach((file, index) => this.cache.set(file, { mtimeMs: times[index], file: answers.get(file) ?? null }));
    }
    return new Map(files.map((file) => [file, this.cache.get(file)?.file ?? null]));
  }

  async describe(file: string): Promise<AzureMlFile | null> {
    return (await this.classify([file])).get(file) ?? null;
  }

  async kindOf(file: string): Promise<YamlKind | undefined> {
    return (await this.describe(file))?.kind;
  }
}

/** -1 for a missing file: asking again finds it once it exists. */
function mtimeOf(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}
