/**
 * A tiny parser for the structured-field lists the IETF rate-limit headers are (RFC 9651):
 * items are sf-strings with integer parameters, separated by a comma and optional spaces.
 */
export function parseList(value: string): { name: string; params: Record<string, number> }[] {
  const item = /^"((?:[^"\\]|\\["\\])*)"((?:;[a-z][a-z0-9_.*-]*=-?\d{1,15})*)$/;
  return value.split(/\s*,\s*/).map((text) => {
    const match = item.exec(text);
    if (!match) throw new Error(`not an sf-list item: ${text}`);
    const params: Record<string, number> = {};
    for (const param of (match[2] ?? "").split(";").slice(1)) {
      const [key, number] = param.split("=") as [string, string];
      params[key] = Number(number);
    }
    return { name: match[1]!.replace(/\\(.)/g, "$1"), params };
  });
}
