/**
 * A value per pair of keys, made by `make` the first time the pair is asked for and kept: for
 * what a hot path would otherwise rebuild on every call from a few bounded inputs — a
 * Prometheus metric's labelled child per (route, status) (prom-client hashes a labels object,
 * its keys sorted and joined, on every call that passes one), a request's counter fields.
 * Only for keys from bounded sets (route templates, status codes, rule and queue names): every
 * pair asked for stays.
 */
export function memoByTwoKeys<A, B, V>(make: (a: A, b: B) => V): (a: A, b: B) => V {
  const byFirst = new Map<A, Map<B, V>>();
  return (a, b) => {
    let bySecond = byFirst.get(a);
    if (!bySecond) {
      bySecond = new Map();
      byFirst.set(a, bySecond);
    }
    if (bySecond.has(b)) return bySecond.get(b)!;
    const value = make(a, b);
    bySecond.set(b, value);
    return value;
  };
}
