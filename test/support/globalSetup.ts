/**
 * vitest global setup: builds the admin dashboard when its build is missing or stale, once per
 * run, before any test (the dashboard tests serve the build; parallel files must not race to build it).
 */
import { ensureDashboardBuilt } from "../../scripts/lib/dashboardBuild.js";

export default async function setup(): Promise<void> {
  await ensureDashboardBuilt();
}
