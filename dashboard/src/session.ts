/**
 * The admin key, kept in session storage: it survives a reload but not the tab, and it never
 * goes into the URL (where it would end up in history, logs and Referer headers).
 */
const STORAGE_KEY = "taskgate.adminKey";

export function storedKey(): string | null {
  return sessionStorage.getItem(STORAGE_KEY);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(STORAGE_KEY, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}
