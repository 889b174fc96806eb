/**
 * The rate-limit policy in force: its version and who changed it last, the rules (shadow rules
 * marked, with their would-be denials over the last hour) and the per-identity overrides.
 * Read-only: changes go through the API (`PUT /rate-limits/policy`, `PUT /rate-limits/overrides`).
 */
import type { PolicyOverride, PolicyRule, RateLimitPolicy } from "../api.js";
import { h, replaceChildren } from "../dom.js";
import { formatAge, formatDuration } from "../format.js";
import { createLatest } from "../latest.js";
import type { Panel, PanelContext } from "../panel.js";
import { formatDateTime, formatExpiry, formatList, sumShadowHits } from "../policyFormat.js";

function modeCell(rule: PolicyRule): HTMLElement {
  return rule.mode === "shadow"
    ? h("td", { class: "mode", "data-testid": "rule-mode" }, h("span", { class: "badge shadow", title: "Checked and recorded, never denies" }, "shadow"))
    : h("td", { class: "mode", "data-testid": "rule-mode" }, "enforce");
}

function ruleRow(rule: PolicyRule, shadowHits: Record<string, number>): HTMLElement {
  return h(
    "tr",
    { "data-rule": rule.name, class: rule.mode === "shadow" ? "shadow" : undefined },
    h("td", {}, rule.name),
    h("td", {}, rule.key),
    h("td", { class: "num" }, rule.limit, rule.cost === 1 ? null : h("span", { class: "muted" }, ` (cost ${rule.cost})`)),
    h("td", {}, formatDuration(rule.windowMs)),
    h("td", {}, formatList(rule.routes)),
    h("td", {}, formatList(rule.tiers)),
    modeCell(rule),
    // Only a shadow rule has shadow hits; "—" says the column does not apply, 0 that nothing would have been denied.
    h("td", { class: "num", "data-testid": "rule-shadow-hits" }, rule.mode === "shadow" ? (shadowHits[rule.name] ?? 0) : "—"),
  );
}

function overrideRow(override: PolicyOverride, rules: readonly PolicyRule[], now: number): HTMLElement {
  const ruleWindow = rules.find((rule) => rule.name === override.rule)?.windowMs;
  return h(
    "tr",
    { "data-rule": override.rule, "data-identity": override.identity },
    h("td", {}, override.rule),
    h("td", { class: "mono" }, override.identity),
    h("td", { class: "num" }, override.limit === 0 ? "0 (denied)" : override.limit),
    h("td", {}, override.windowMs === null ? (ruleWindow === undefined ? "rule's" : `${formatDuration(ruleWindow)} (rule's)`) : formatDuration(override.windowMs)),
    h("td", { title: override.expiresAt?.toISOString() }, formatExpiry(override.expiresAt)),
    h("td", { class: "reason" }, override.reason ?? "—"),
    h("td", { title: override.createdAt.toISOString() }, override.createdBy, h("span", { class: "muted" }, ` · ${formatAge(override.createdAt, now)} ago`)),
  );
}

function table(testId: string, labels: string[], rows: HTMLElement[]): HTMLElement {
  return h("table", { "data-testid": testId }, h("thead", {}, h("tr", {}, ...labels.map((label) => h("th", {}, label)))), h("tbody", {}, ...rows));
}

export function createPolicyPanel(ctx: PanelContext): Panel {
  const meta = h("p", { class: "muted", "data-testid": "policy-meta" }, "Loading…");
  const rulesBody = h("div", {});
  const overridesBody = h("div", {});
  const element = h(
    "section",
    { id: "policy", "aria-labelledby": "policy-title", "data-testid": "policy" },
    h("h2", { id: "policy-title" }, "Rate-limit policy"),
    meta,
    h("h3", {}, "Rules"),
    rulesBody,
    h("h3", {}, "Overrides"),
    overridesBody,
  );

  function render(policy: RateLimitPolicy, shadowHits: Record<string, number>): void {
    const by = policy.version === 0 ? "from configuration (nothing changed at run time yet)" : `by ${policy.updatedBy}`;
    replaceChildren(
      meta,
      "Version ",
      h("strong", { "data-testid": "policy-version" }, policy.version),
      ` · updated ${formatDateTime(policy.updatedAt)} `,
      h("span", { "data-testid": "policy-updated-by" }, by),
    );
    replaceChildren(
      rulesBody,
      policy.rules.length === 0
        ? h("p", { class: "muted", "data-testid": "rules-empty" }, "No rules: nothing is rate limited.")
        : table(
            "rules-table",
            ["Name", "Key", "Limit", "Window", "Routes", "Tiers", "Mode", "Shadow hits (1 h)"],
            policy.rules.map((rule) => ruleRow(rule, shadowHits)),
          ),
    );
    const now = ctx.now();
    replaceChildren(
      overridesBody,
      policy.overrides.length === 0
        ? h("p", { class: "muted", "data-testid": "overrides-empty" }, "No overrides.")
        : table(
            "overrides-table",
            ["Rule", "Identity", "Limit", "Window", "Expires", "Reason", "Set by"],
            policy.overrides.map((override) => overrideRow(override, policy.rules, now)),
          ),
    );
  }

  const startLoad = createLatest();
  return {
    element,
    async refresh() {
      const isLatest = startLoad();
      // One metrics call per refresh: the last hour in minute buckets (the API's default range).
      const [policy, metrics] = await Promise.all([ctx.client.rateLimits.policy.get(), ctx.client.monitoring.blockedMetrics({ bucket: "minute" })]);
      if (!isLatest()) return;
      render(policy, sumShadowHits(metrics.series));
    },
  };
}
