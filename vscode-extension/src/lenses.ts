/** Which CodeLens each kind of Azure ML YAML gets, and the command each runs (vscode-free, unit-tested). */

import { YamlKind } from "./yamlKind";

export interface Lens {
  title: string;
  command: string;
  tooltip: string;
}

export function lensesFor(kind: YamlKind): Lens[] {
  switch (kind) {
    case "online-deployment":
      return [
        { title: "Run locally", command: "localep.up", tooltip: "localep up --detach: start this deployment in Docker" },
        { title: "Debug locally", command: "localep.debug", tooltip: "Start it under debugpy and attach the debugger" },
        { title: "Smoke test", command: "localep.smoke", tooltip: "localep smoke: start a private copy, replay requests, remove it" },
      ];
    case "online-endpoint":
      return [
        { title: "Run locally", command: "localep.up", tooltip: "localep up --detach: start this endpoint and the deployments beside it" },
        { title: "Smoke test", command: "localep.smoke", tooltip: "localep smoke: start a private copy, replay requests, remove it" },
      ];
    case "batch-deployment":
      return [{ title: "Run batch locally", command: "localep.batchRun", tooltip: "localep batch run on input you choose" }];
    case "batch-endpoint":
      return [];
  }
}
