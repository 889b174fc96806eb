/**
 * Where a cursor-paged list is: the cursors of the pages visited, so "Newer" can go back without
 * the API offering a backwards cursor. Pure state, unit-tested without a browser.
 */
export interface CursorPager {
  /** Cursor that opens the current page; undefined for the newest page. */
  readonly cursor: string | undefined;
  /** 0 for the newest page. */
  readonly index: number;
  /** Moves to the older page that `nextCursor` opens. */
  older(nextCursor: string): void;
  /** Moves one page back towards the newest; stays on the newest. */
  newer(): void;
  /** Back to the newest page, forgetting the rest (the list changed under it). */
  reset(): void;
  /** 1-based position of the first item of the current page, for "21–40 of N". */
  firstItem(pageSize: number): number;
}

export function createCursorPager(): CursorPager {
  const cursors: Array<string | undefined> = [undefined];
  let index = 0;
  return {
    get cursor() {
      return cursors[index];
    },
    get index() {
      return index;
    },
    older(nextCursor) {
      cursors.length = index + 1;
      cursors.push(nextCursor);
      index += 1;
    },
    newer() {
      index = Math.max(0, index - 1);
    },
    reset() {
      cursors.length = 1;
      index = 0;
    },
    firstItem(pageSize) {
      return index * pageSize + 1;
    },
  };
}
