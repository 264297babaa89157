/**
 * The one place that reads `localep ps --json`. Everything else in the extension works with
 * LocalDeployment, so a change in the CLI's output touches only this file. Unknown fields are
 * ignored on purpose: newer CLIs may add fields without breaking older extensions.
 */

export interface LocalDeployment {
  endpoint: string;
  deployment: string;
  /** Which replica of the deployment (instance_count > 1 gives one row per container); null if not said. */
  instance: number | null;
  container: string | null;
  status: string;
  health: string | null;
  url: string | null;
  port: number | null;
  debugPort: number | null;
  image: string | null;
  codeDir: string | null;
  remoteCodeDir: string | null;
  specFile: string | null;
}

export interface LocalEndpoint {
  name: string;
  deployments: LocalDeployment[];
}

export class PsOutputError extends Error {
  constructor(message: string) {
    super(`could not read \`localep ps --json\` output: ${message}`);
    this.name = "PsOutputError";
  }
}

type Row = Record<string, unknown>;

export function parsePsOutput(stdout: string): LocalDeployment[] {
  let data: unknown;
  try {
    data = JSON.parse(stdout);
  } catch (error) {
    const shown = stdout.trim().slice(0, 80) || "(empty)";
    throw new PsOutputError(`not JSON (${(error as Error).message}); it began with: ${shown}`);
  }
  if (!Array.isArray(data)) {
    throw new PsOutputError(`expected a list of deployments, got ${describe(data)}`);
  }
  return data.map((row, index) => parseRow(row, index));
}

function parseRow(row: unknown, index: number): LocalDeployment {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    throw new PsOutputError(`item ${index} should be an object, got ${describe(row)}`);
  }
  const fields = row as Row;
  const read = new FieldReader(fields, index);
  return {
    endpoint: read.requiredString("endpoint"),
    deployment: read.requiredString("deployment"),
    instance: read.optionalInstance("instance"),
    container: read.optionalString("container"),
    status: read.optionalString("status") ?? "unknown",
    health: read.optionalString("health"),
    url: read.optionalString("url"),
    port: read.optionalPort("port"),
    debugPort: read.optionalPort("debug_port"),
    image: read.optionalString("image"),
    codeDir: read.optionalString("code_dir"),
    remoteCodeDir: read.optionalString("remote_code_dir"),
    specFile: read.optionalString("spec_file"),
  };
}

class FieldReader {
  constructor(private readonly fields: Row, private readonly index: number) {}

  requiredString(key: string): string {
    const value = this.optionalString(key);
    if (value === null || value === "") {
      throw new PsOutputError(`item ${this.index} has no "${key}"`);
    }
    return value;
  }

  optionalString(key: string): string | null {
    const value = this.fields[key];
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value !== "string") {
      throw this.wrongType(key, "a string", value);
    }
    return value;
  }

  optionalPort(key: string): number | null {
    const value = this.fields[key];
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 65535) {
      throw this.wrongType(key, "a port number", value);
    }
    return value;
  }

  optionalInstance(key: string): number | null {
    const value = this.fields[key];
    if (value === undefined || value === null) {
      return null;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < 0) {
      throw this.wrongType(key, "a replica number", value);
    }
    return value;
  }

  private wrongType(key: string, expected: string, value: unknown): PsOutputError {
    return new PsOutputError(`item ${this.index} "${key}" should be ${expected}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (value === null) {
    return "null";
  }
  if (Array.isArray(value)) {
    return "a list";
  }
  return typeof value === "object" ? "an object" : JSON.stringify(value);
}

/** Endpoints in name order, each with its deployments (then replicas) in order, so the tree does not reshuffle. */
export function groupByEndpoint(deployments: LocalDeployment[]): LocalEndpoint[] {
  const byName = new Map<string, LocalDeployment[]>();
  for (const deployment of deployments) {
    const group = byName.get(deployment.endpoint) ?? [];
    group.push(deployment);
    byName.set(deployment.endpoint, group);
  }
  return [...byName.keys()].sort().map((name) => ({
    name,
    deployments: byName
      .get(name)!
      .slice()
      .sort((a, b) => a.deployment.localeCompare(b.deployment) || (a.instance ?? 0) - (b.instance ?? 0)),
  }));
}
