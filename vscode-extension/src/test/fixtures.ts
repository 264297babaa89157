import { LocalDeployment } from "../psModel";

/** One row as `localep ps --json` prints it. */
export const PS_ROW = {
  endpoint: "my-ep",
  deployment: "blue",
  instance: 0,
  container: "localep-my-ep-blue",
  status: "running",
  health: "ready",
  url: "http://127.0.0.1:31234/score",
  port: 31234,
  direct_url: "http://127.0.0.1:40001/score",
  debug_port: 5678,
  traffic: 100,
  mirror_traffic: 0,
  restarts: 0,
  image: "localep/my-ep-blue:abc123",
  code_dir: "/abs/path/src",
  remote_code_dir: "/var/azureml-app/src",
  spec_file: "/abs/blue.yml",
};

export function deployment(overrides: Partial<LocalDeployment> = {}): LocalDeployment {
  return {
    endpoint: "my-ep",
    deployment: "blue",
    instance: 0,
    container: "localep-my-ep-blue",
    status: "running",
    health: "ready",
    url: "http://127.0.0.1:31234/score",
    port: 31234,
    directUrl: "http://127.0.0.1:40001/score",
    debugPort: 5678,
    debugSocket: null,
    traffic: 100,
    mirrorTraffic: 0,
    restarts: 0,
    image: "localep/my-ep-blue:abc123",
    codeDir: "/abs/path/src",
    remoteCodeDir: "/var/azureml-app/src",
    specFile: "/abs/blue.yml",
    ...overrides,
  };
}
