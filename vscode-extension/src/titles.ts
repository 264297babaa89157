/** Command titles the extension's own messages name; a unit test checks each against package.json. */
export const TITLES = {
  up: "localep: Run Locally",
} as const;
