/** Traffic splits as the `traffic set` quick pick offers and reads them; no `vscode` here, so unit-tested. */

export type Shares = Record<string, number>;

/** "blue=90 green=10" (spaces or commas between pairs) -> {blue: 90, green: 10}; the shares must add up to 100. */
export function parseShares(text: string): Shares {
  const shares: Shares = {};
  const pairs = text.split(/[\s,]+/).filter((pair) => pair !== "");
  if (pairs.length === 0) {
    throw new Error("name at least one deployment, e.g. blue=100");
  }
  for (const pair of pairs) {
    const match = /^([^=]+)=(\d{1,3})%?$/.exec(pair);
    if (match === null) {
      throw new Error(`"${pair}" is not DEPLOYMENT=PERCENT, e.g. blue=90`);
    }
    shares[match[1]] = Number(match[2]);
  }
  const total = Object.values(shares).reduce((sum, share) => sum + share, 0);
  if (total !== 100) {
    throw new Error(`the shares add up to ${total}, not 100`);
  }
  return shares;
}

/** "blue 90% · green 10%", in the order given. */
export function formatShares(shares: Shares): string {
  const entries = Object.entries(shares);
  return entries.length === 0 ? "no traffic" : entries.map(([name, share]) => `${name} ${share}%`).join(" · ");
}

/** The splits worth one click: all to one deployment, and for two the usual canary steps, else an even split. */
export function splitPresets(names: string[]): Shares[] {
  const all = names.map((name) => Object.fromEntries(names.map((other) => [other, other === name ? 100 : 0])));
  if (names.length === 2) {
    const [a, b] = names;
    return [...all, { [a]: 90, [b]: 10 }, { [a]: 50, [b]: 50 }, { [a]: 10, [b]: 90 }];
  }
  if (names.length > 2) {
    const even = Math.floor(100 / names.length);
    const rest = 100 - even * names.length;
    return [...all, Object.fromEntries(names.map((name, index) => [name, even + (index === 0 ? rest : 0)]))];
  }
  return all;
}
