/** Command titles the extension's own messages name; a unit test checks each against package.json. */
export const TITLES = {
  up: "localep: Run Locally",
  debug: "localep: Debug Locally",
  showLogs: "localep: Show Logs",
} as const;
