/**
 * `rateLimits.*` (admin only): the stored rate-limit policy — read it, replace its rules
 * (optimistic concurrency by `expectedVersion`), set and delete per-identity overrides. Every
 * change is a new version, written with its audit entry, and enforced by this process at once
 * (docs/RATE_LIMITING.md, "The policy").
 */
import { overrideDeleteInput, overrideSetInput, policySetInput, rateLimitPolicy, type RateLimitPolicy } from "@taskgate/shared";
import { auditActor } from "../../audit/auditLog.js";
import { deleteOverride, replaceRules, setOverride, toPublicPolicy, type PolicyChange, type VersionedPolicy } from "../../rateLimit/index.js";
import type { ServerDeps } from "../../serverDeps.js";
import { router } from "../init.js";
import type { Procedures } from "../procedures.js";

const POLICY = { name: "RateLimitPolicy", schema: rateLimitPolicy };

export function rateLimitsRouter(deps: ServerDeps, p: Procedures) {
  const { store, cache } = deps.policy;
  const configured = deps.config.rateLimitRules;

  /** The policy as stored, or (nothing stored yet) the configured rules as version 0. */
  function shown(policy: VersionedPolicy | null): RateLimitPolicy {
    const now = Date.now();
    if (policy) return toPublicPolicy(policy, now);
    return { version: 0, updatedAt: new Date(deps.lifecycle.startedAt), updatedBy: "config", rules: configured, overrides: [] };
  }

  async function change(apply: PolicyChange, actor: string, expectedVersion?: number, replacesRules = false): Promise<RateLimitPolicy> {
    const stored = await store.update(actor, apply, expectedVersion, { replacesRules });
    if (stored) cache.apply(stored);
    return shown(stored);
  }

  return router({
    policy: router({
      /** `GET /rate-limits/policy` (admin): the rules, the overrides in force, the version and who changed it last. */
      get: p.admin
        .meta({
          rest: { method: "GET", path: "/rate-limits/policy" },
          doc: {
            tag: "rate limits",
            summary: "The rate-limit policy",
            description: "Admin. The rules and the per-identity overrides in force, with the version and who changed it last (`config` when seeded from configuration).",
            output: POLICY,
          },
        })
        .query(async () => shown(await store.read())),
      /** `PUT /rate-limits/policy` (admin): replace the rules; every API process enforces them within POLICY_REFRESH_MS. */
      set: p.admin
        .meta({
          rest: { method: "PUT", path: "/rate-limits/policy", input: "body" },
          doc: {
            tag: "rate limits",
            summary: "Replace the rate-limit rules",
            description:
              "Admin. The whole rule set, validated as at start-up: one bad rule refuses the set (400, every bad field named) and nothing changes. With `expectedVersion`, another current version is a 409 VERSION_CONFLICT. Overrides whose rule is gone leave with it. Every API process enforces the new version within POLICY_REFRESH_MS.",
            bodyName: "PolicySetInput",
            output: POLICY,
            errors: ["VERSION_CONFLICT"],
          },
        })
        .input(policySetInput)
        .mutation(({ ctx, input }) => {
          const actor = auditActor(ctx.caller);
          // A full replacement, so it also mends a stored policy whose rules no longer fit.
          return change(replaceRules(input.rules, actor, Date.now(), configured), actor, input.expectedVersion, true);
        }),
    }),
    overrides: router({
      /** `PUT /rate-limits/overrides` (admin): one identity's limit under one rule; `limit: 0` denies it. */
      set: p.admin
        .meta({
          rest: { method: "PUT", path: "/rate-limits/overrides", input: "body" },
          doc: {
            tag: "rate limits",
            summary: "Set a per-identity override",
            description:
              "Admin. Changes one rule's limit (and optionally window) for `user:<userId>` (rules keyed by user) or `ip:<address>` (rules keyed by ip); `limit: 0` denies that identity outright. The same rule and identity again replaces it. It stops applying at `expiresAt` and then leaves the policy.",
            bodyName: "OverrideSetInput",
            output: POLICY,
          },
        })
        .input(overrideSetInput)
        .mutation(({ ctx, input }) => {
          const actor = auditActor(ctx.caller);
          return change(setOverride(input, actor, Date.now(), configured), actor);
        }),
      /** `DELETE /rate-limits/overrides/:rule/:identity` (admin): remove an override; 404 when there is none. */
      delete: p.admin
        .meta({
          rest: { method: "DELETE", path: "/rate-limits/overrides/:rule/:identity", status: 204 },
          doc: { tag: "rate limits", summary: "Delete a per-identity override", description: "Admin. 204; 404 when the rule has no override for that identity." },
        })
        .input(overrideDeleteInput)
        .mutation(async ({ ctx, input }): Promise<void> => {
          const actor = auditActor(ctx.caller);
          await change(deleteOverride(input.rule, input.identity, actor, Date.now(), configured), actor);
        }),
    }),
  });
}
