/** Status classes for the traffic chart: the API counts exact codes (`"429"`), the chart draws classes. */

/** The requests of one bucket whose exact code (`"202"`) falls in `statusClass` (`"2xx"`). */
export function countInClass(byStatus: Record<string, number>, statusClass: string): number {
  let total = 0;
  for (const [code, count] of Object.entries(byStatus)) if (/^\d{3}$/.test(code) && code[0] === statusClass[0]) total += count;
  return total;
}
