/**
 * Drops answers that a newer load overtook: the panels load on a timer and on clicks (a filter
 * applied, a page turned, a job searched), and an older answer arriving last must not win.
 *
 *   const startLoad = createLatest();
 *   const isLatest = startLoad();
 *   const page = await fetchPage();
 *   if (!isLatest()) return;
 */
export function createLatest(): () => () => boolean {
  let started = 0;
  return () => {
    const mine = ++started;
    return () => mine === started;
  };
}
