/**
 * The one place that reads `localep ps --json`. Everything else in the extension works with
 * LocalDeployment, so a change in the CLI's output touches only this file. Unknown fields are
 * ignored on purpose: newer CLIs may add fields without breaking older extensions, and fields
 * that older CLIs do not print (`restarts`) read as null.
 */

export interface LocalDeployment {
  endpoint: string;
  deployment: string;
  /** Which replica of the deployment (instance_count > 1 gives one row per container); null if not said. */
  instance: number | null;
  container: string | null;
  status: string;
  health: string | null;
  /** The endpoint's scoring URL (through its gateway) and port; null while no gateway runs. */
  url: string | null;
  port: number | null;
  /** The container's own scoring URL, bypassing the gateway. */
  directUrl: string | null;
  debugPort: number | null;
  /** An owner-only Unix socket speaking DAP to the deployment's debugpy adapter, when the CLI offers one. */
  debugSocket: string | null;
  /** Percent of the endpoint's live traffic (and mirrored traffic) this deployment gets; null without a gateway. */
  traffic: number | null;
  mirrorTraffic: number | null;
  /** How often the gateway restarted this container; null when the CLI does not say. */
  restarts: number | null;
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
  return data.flatMap((row, index) => (isContainerOfNoDeployment(row) ? [] : [parseRow(row, index)]));
}

/** A localep container that serves no deployment (a containerised gateway): listed by `ps`, not a row here. */
function isContainerOfNoDeployment(row: unknown): boolean {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    return false;
  }
  const deployment = (row as Row).deployment;
  return (deployment === "" || deployment === null) && typeof (row as Row).container === "string";
}

function parseRow(row: unknown, index: number): LocalDeployment {
  if (typeof row !== "object" || row === null || Array.isArray(row)) {
    throw new PsOutputError(`item ${index} should be an object, got ${describe(row)}`);
  }
  const read = new FieldReader(row as Row, index);
  return {
    endpoint: read.requiredString("endpoint"),
    deployment: read.requiredString("deployment"),
    instance: read.optionalCount("instance"),
    container: read.optionalString("container"),
    status: read.optionalString("status") ?? "unknown",
    health: read.optionalString("health"),
    url: read.optionalString("url"),
    port: read.optionalPort("port"),
    directUrl: read.optionalString("direct_url"),
    debugPort: read.optionalPort("debug_port"),
    debugSocket: read.optionalString("debug_socket"),
    traffic: read.optionalPercent("traffic"),
    mirrorTraffic: read.optionalPercent("mirror_traffic"),
    restarts: read.optionalCount("restarts"),
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
    const value = this.present(key);
    if (value !== null && typeof value !== "string") {
      throw this.wrongType(key, "a string", value);
    }
    return value as string | null;
  }

  optionalPort(key: string): number | null {
    return this.integer(key, "a port number", 1, 65535);
  }

  optionalCount(key: string): number | null {
    return this.integer(key, "a count", 0, Number.MAX_SAFE_INTEGER);
  }

  optionalPercent(key: string): number | null {
    return this.integer(key, "a percentage", 0, 100);
  }

  private integer(key: string, expected: string, min: number, max: number): number | null {
    const value = this.present(key);
    if (value === null) {
      return null;
    }
    if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
      throw this.wrongType(key, expected, value);
    }
    return value;
  }

  private present(key: string): unknown {
    const value = this.fields[key];
    return value === undefined ? null : value;
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

/** The running rows started from `specFile` (an absolute path), e.g. to find the debug port of a YAML file. */
export function deploymentsOf(deployments: LocalDeployment[], specFile: string): LocalDeployment[] {
  return deployments.filter((deployment) => deployment.specFile === specFile);
}
