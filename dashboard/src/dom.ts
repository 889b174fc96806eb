/**
 * A tiny element builder. Text always goes in as text nodes, never as HTML: dead-job data and
 * blocked-log entries are written by API clients, and must not be able to inject markup.
 */

/** What may appear among an element's children; `null`, `undefined` and `false` are skipped. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes (`class`, `data-*`, `aria-*`, …) and `on<event>` listeners. */
export type Props = Record<string, string | number | boolean | EventListener | undefined>;

/** Creates `<tag>` with `props` and `children`. Boolean `true` sets an empty attribute, `false` omits it. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Child[]): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === false) continue;
    if (typeof value === "function") element.addEventListener(name.slice(2).toLowerCase(), value);
    else element.setAttribute(name, value === true ? "" : String(value));
  }
  element.append(...toNodes(children));
  return element;
}

/** Replaces every child of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren(...toNodes(children));
}

function toNodes(children: Child[]): Array<Node | string> {
  const nodes: Array<Node | string> = [];
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    nodes.push(typeof child === "number" ? String(child) : child);
  }
  return nodes;
}
