/**
 * Confirmation before anything destructive (retry, retry all, delete): a modal `<dialog>` rather
 * than `window.confirm`, so it can say what will happen in the page's own words and style.
 */
import { h } from "./dom.js";

/**
 * Resolves `true` when the person confirms, `false` on the dismiss button or Escape.
 * `dismissLabel` (default "Cancel") can be renamed where "Cancel" would be ambiguous (cancelling a job).
 */
export function confirmAction(message: string, confirmLabel: string, dismissLabel = "Cancel"): Promise<boolean> {
  return new Promise((resolve) => {
    const cancel = h("button", { type: "button", class: "secondary", "data-testid": "confirm-dismiss" }, dismissLabel);
    const confirm = h("button", { type: "button", class: "danger", "data-testid": "confirm-button" }, confirmLabel);
    const dialog = h("dialog", { class: "confirm", "data-testid": "confirm-dialog" }, h("p", { "data-testid": "confirm-message" }, message), h("div", { class: "actions" }, cancel, confirm));
    const finish = (answer: boolean) => {
      dialog.close();
      dialog.remove();
      resolve(answer);
    };
    cancel.addEventListener("click", () => finish(false));
    confirm.addEventListener("click", () => finish(true));
    dialog.addEventListener("cancel", (event) => {
      event.preventDefault();
      finish(false);
    });
    document.body.append(dialog);
    dialog.showModal();
    confirm.focus();
  });
}
