/**
 * The admin CLI's rate-limit policy commands (`limits show|apply|override set|override delete`)
 * and the audit log (`audit`): thin layers over `client.rateLimits.*` and `monitoring.audit`.
 */
import { readFile } from "node:fs/promises";
import type { TaskgateClient } from "../types.js";
import { intOption, noArguments, stringOption, UsageError, type CommandContext } from "./commands.js";
import { exactDuration, fields, json, table, time, truncate } from "./format.js";

type PolicySetInput = Parameters<TaskgateClient["rateLimits"]["policy"]["set"]>[0];
type OverrideSetInput = Parameters<TaskgateClient["rateLimits"]["overrides"]["set"]>[0];
type Policy = Awaited<ReturnType<TaskgateClient["rateLimits"]["policy"]["get"]>>;

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

function printPolicy(ctx: CommandContext, policy: Policy): void {
  ctx.out(
    fields([
      ["Version", String(policy.version)],
      ["Updated", `${time(policy.updatedAt)} by ${policy.updatedBy}`],
    ]),
  );
  ctx.out("\nRules:");
  if (policy.rules.length === 0) ctx.out("  none: no request is rate-limited");
  else {
    const rows = policy.rules.map((rule) => [
      rule.name,
      rule.key,
      rule.limit,
      exactDuration(rule.windowMs),
      rule.routes ? truncate(rule.routes.join(", "), 60) : "all",
      rule.tiers ? rule.tiers.join(", ") : "all",
      rule.mode,
      rule.priority,
      String(rule.cost),
    ]);
    ctx.out(table(["NAME", "KEY", "LIMIT", "WINDOW", "ROUTES", "TIERS", "MODE", "PRIORITY", "COST"], rows));
  }
  ctx.out("\nOverrides:");
  if (policy.overrides.length === 0) return ctx.out("  none");
  const rows = policy.overrides.map((override) => [
    override.rule,
    override.identity,
    override.limit,
    override.windowMs === null ? "rule's" : exactDuration(override.windowMs),
    override.expiresAt === null ? "never" : time(override.expiresAt),
    override.reason === null ? "-" : truncate(override.reason, 40),
    override.createdBy,
  ]);
  ctx.out(table(["RULE", "IDENTITY", "LIMIT", "WINDOW", "EXPIRES", "REASON", "BY"], rows));
}

export async function limitsShow(ctx: CommandContext): Promise<void> {
  noArguments(ctx, "limits show");
  const policy = await ctx.client.rateLimits.policy.get();
  if (ctx.asJson) return ctx.out(json(policy));
  printPolicy(ctx, policy);
}

/**
 * The rules a policy file holds: an array of rules, or an object with a `rules` array (such as
 * `limits show --json` prints; its other keys are ignored). The rules themselves are left to the
 * server, which names every bad field; a file that cannot be read or parsed is refused here, so
 * nothing is sent.
 */
async function rulesFromFile(path: string): Promise<PolicySetInput["rules"]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new UsageError(`cannot read ${path}: ${(error as Error).message}`, null);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON: ${(error as Error).message}`, null);
  }
  const rules = Array.isArray(parsed) ? parsed : typeof parsed === "object" && parsed !== null && "rules" in parsed ? parsed.rules : undefined;
  if (!Array.isArray(rules)) throw new UsageError(`${path} must hold a JSON array of rules or an object with a "rules" array`, null);
  return rules as PolicySetInput["rules"];
}

export async function limitsApply(ctx: CommandContext): Promise<void> {
  const [path, ...extra] = ctx.positionals;
  if (!path) throw new UsageError("limits apply needs a FILE of rules");
  if (extra.length > 0) throw new UsageError(`limits apply takes one FILE, got ${ctx.positionals.length}`);
  const expectedVersion = intOption(ctx, "expected-version");
  const rules = await rulesFromFile(path);
  const policy = await ctx.client.rateLimits.policy.set({ rules, ...(expectedVersion !== undefined ? { expectedVersion } : {}) });
  if (ctx.asJson) return ctx.out(json(policy));
  ctx.out(`Applied ${plural(policy.rules.length, "rule")}: the policy is now version ${policy.version} (${plural(policy.overrides.length, "override")} in force).`);
}

/** `--rule` and `--identity`, both required by `limits override set|delete`. */
function overrideTarget(ctx: CommandContext, command: string): { rule: string; identity: string } {
  noArguments(ctx, command);
  const rule = stringOption(ctx, "rule");
  const identity = stringOption(ctx, "identity");
  const missing = [rule === undefined && "--rule", identity === undefined && "--identity"].filter(Boolean);
  if (missing.length > 0) throw new UsageError(`${command} needs ${missing.join(" and ")}`);
  return { rule: rule!, identity: identity! };
}

export async function limitsOverrideSet(ctx: CommandContext): Promise<void> {
  const target = overrideTarget(ctx, "limits override set");
  const limit = intOption(ctx, "limit");
  if (limit === undefined) throw new UsageError("limits override set needs --limit (0 denies the identity outright)");
  const windowMs = intOption(ctx, "window-ms");
  const expiresAt = stringOption(ctx, "expires-at");
  const reason = stringOption(ctx, "reason");
  // Epoch ms as digits are a number to the API; any other text goes as an ISO 8601 time, for it to check.
  const input: OverrideSetInput = {
    ...target,
    limit,
    ...(windowMs !== undefined ? { windowMs } : {}),
    ...(expiresAt !== undefined ? { expiresAt: /^\d+$/.test(expiresAt) ? Number(expiresAt) : expiresAt } : {}),
    ...(reason !== undefined ? { reason } : {}),
  };
  const policy = await ctx.client.rateLimits.overrides.set(input);
  if (ctx.asJson) return ctx.out(json(policy));
  const set = policy.overrides.find((override) => override.rule === target.rule && override.identity === target.identity);
  const window = set?.windowMs ? ` per ${exactDuration(set.windowMs)}` : " per the rule's window";
  const until = set?.expiresAt ? `until ${time(set.expiresAt)}` : "with no expiry";
  ctx.out(`Set the override of rule ${target.rule} for ${target.identity}: limit ${limit}${window}, ${until}. The policy is now version ${policy.version}.`);
}

export async function limitsOverrideDelete(ctx: CommandContext): Promise<void> {
  const target = overrideTarget(ctx, "limits override delete");
  await ctx.client.rateLimits.overrides.delete(target);
  if (ctx.asJson) return ctx.out(json({ ...target, deleted: true }));
  ctx.out(`Deleted the override of rule ${target.rule} for ${target.identity}.`);
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null && !Array.isArray(value);

/** JSON with object keys sorted, so two rules compare equal whatever order their keys came in. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (isRecord(value)) return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${canonical(value[key])}`).join(",")}}`;
  return JSON.stringify(value) ?? "null";
}

/** What a rule set went from and to, by name: `rules 2 → 3: +burst, ~ip-default`. */
function rulesChange(before: unknown[] | undefined, after: unknown[]): string {
  const byName = (rules: unknown[]) => new Map(rules.filter(isRecord).map((rule) => [String(rule.name), canonical(rule)]));
  const old = byName(before ?? []);
  const now = byName(after);
  if (before === undefined) return `rules: ${[...now.keys()].join(", ") || "none"}`;
  const changes = [
    ...[...now.keys()].filter((name) => !old.has(name)).map((name) => `+${name}`),
    ...[...old.keys()].filter((name) => !now.has(name)).map((name) => `-${name}`),
    ...[...now.keys()].filter((name) => old.has(name) && old.get(name) !== now.get(name)).map((name) => `~${name}`),
  ];
  return `rules ${before.length} → ${after.length}: ${changes.join(", ") || "unchanged"}`;
}

/** One side of an override change: `none`, or `limit 10 per 1 min until …`. */
function overrideSide(value: unknown): string {
  if (!isRecord(value)) return "none";
  const window = typeof value.windowMs === "number" ? ` per ${exactDuration(value.windowMs)}` : "";
  const until = typeof value.expiresAt === "number" ? ` until ${time(new Date(value.expiresAt))}` : "";
  return `limit ${String(value.limit)}${window}${until}`;
}

const scalar = (value: unknown) => (typeof value === "string" ? value : Array.isArray(value) ? `[${value.length}]` : isRecord(value) ? "{…}" : String(value));

/**
 * An audit entry's details on one line: the policy version it made, what its rules or override
 * went from and to, then every other detail as `key=value`. `--json` has them whole.
 */
export function detailsSummary(details: Record<string, unknown>): string {
  const { version, before, after, ...rest } = details;
  const parts: string[] = [];
  if (typeof version === "number") parts.push(`version ${version}`);
  const rulesBefore = isRecord(before) && Array.isArray(before.rules) ? before.rules : undefined;
  if (isRecord(after) && Array.isArray(after.rules)) parts.push(rulesChange(rulesBefore, after.rules));
  else if ((before === null || isRecord(before)) && (after === null || isRecord(after))) parts.push(`${overrideSide(before)} → ${overrideSide(after)}`);
  else {
    if ("before" in details) parts.push(`before=${scalar(before)}`);
    if ("after" in details) parts.push(`after=${scalar(after)}`);
  }
  for (const [key, value] of Object.entries(rest)) parts.push(`${key}=${scalar(value)}`);
  return parts.join("; ") || "-";
}

export async function audit(ctx: CommandContext): Promise<void> {
  noArguments(ctx, "audit");
  const limit = intOption(ctx, "limit");
  const cursor = stringOption(ctx, "cursor");
  const page = await ctx.client.monitoring.audit({ ...(limit !== undefined ? { limit } : {}), ...(cursor !== undefined ? { cursor } : {}) });
  if (ctx.asJson) return ctx.out(json(page));
  if (page.entries.length === 0) return ctx.out("No audit entries.");
  const rows = page.entries.map((entry) => [time(entry.at), entry.actor, entry.action, truncate(entry.target, 50), truncate(detailsSummary(entry.details), 80)]);
  ctx.out(table(["TIME", "ACTOR", "ACTION", "TARGET", "DETAILS"], rows));
  ctx.out(`\n${page.entries.length} ${page.entries.length === 1 ? "entry" : "entries"}, newest first.`);
  if (page.nextCursor) ctx.out(`Older entries: --cursor ${page.nextCursor}`);
}
