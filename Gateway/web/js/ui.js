// Shared widgets: toasts, modal dialogs (native <dialog>), confirmations, form dialogs and popup action menus.
import { h, $, focusables, uid } from "./dom.js";
import { readable } from "./api/errors.js";

/** A short message at the bottom of the screen; errors are announced assertively and stay longer. */
export function toast(message, { kind = "info", timeout } = {}) {
  const region = kind === "error" ? $("#alerts") : $("#toasts");
  const item = h("div", { class: `toast toast-${kind}` },
    h("span", { class: "toast-text" }, message),
    h("button", { type: "button", class: "toast-close", "aria-label": "Dismiss", onclick: () => item.remove() }, "×"));
  region.append(item);
  while (region.children.length > 2) region.firstElementChild.remove();
  const ms = timeout ?? (kind === "error" ? 9000 : 4000);
  if (ms > 0) setTimeout(() => item.remove(), ms);
  return item;
}

export function toastError(error) {
  return toast(readable(error), { kind: "error" });
}

/**
 * A modal dialog: `build(close)` returns its body; resolves with what `close(value)` was given (undefined on Esc).
 * Focus returns to where it was.
 */
export function dialog(title, build, { wide = false, className = "" } = {}) {
  return new Promise((resolve) => {
    const returnFocus = document.activeElement;
    const titleId = uid("dialog-title");
    const el = h("dialog", { class: `dialog ${wide ? "dialog-wide" : ""} ${className}`, "aria-labelledby": titleId });
    let result;
    const close = (value) => {
      result = value;
      el.close();
    };
    el.append(
      h("div", { class: "dialog-head" },
        h("h2", { id: titleId }, title),
        h("button", { type: "button", class: "icon-btn", "aria-label": "Close", onclick: () => close(undefined) }, "×")),
      h("div", { class: "dialog-body" }, build(close)),
    );
    el.addEventListener("close", () => {
      el.remove();
      if (returnFocus && returnFocus.isConnected) returnFocus.focus();
      resolve(result);
    });
    document.body.append(el);
    el.showModal();
    const first = focusables(el.querySelector(".dialog-body")).find((node) => node.matches("input, select, textarea")) ||
      focusables(el.querySelector(".dialog-body"))[0];
    if (first) first.focus();
  });
}

/** An error line inside a form, announced when it changes. */
export function errorLine() {
  return h("p", { class: "form-error", role: "alert", hidden: true });
}

export function showError(line, error) {
  line.textContent = typeof error === "string" ? error : readable(error);
  line.hidden = !line.textContent;
}

/**
 * A form in a dialog: `fields` are elements; `submit(form)` runs on submit and may throw (the error is shown and
 * the dialog stays). Resolves with what submit returned, or undefined if dismissed.
 */
export function formDialog(title, { fields, submitLabel = "Save", submit, danger = false, wide = false }) {
  return dialog(title, (close) => {
    const error = errorLine();
    const button = h("button", { type: "submit", class: `btn ${danger ? "btn-danger" : "btn-primary"}` }, submitLabel);
    const form = h("form", {
      class: "stack",
      novalidate: false,
      onsubmit: async (event) => {
        event.preventDefault();
        showError(error, "");
        button.disabled = true;
        try {
          close(await submit(form));
        } catch (failure) {
          showError(error, failure);
        } finally {
          button.disabled = false;
        }
      },
    },
    fields,
    error,
    h("div", { class: "dialog-actions" },
      h("button", { type: "button", class: "btn", onclick: () => close(undefined) }, "Cancel"),
      button));
    return form;
  }, { wide });
}

export function confirmDialog(title, message, { confirmLabel = "OK", danger = false, run }) {
  return formDialog(title, {
    fields: [h("p", {}, message)],
    submitLabel: confirmLabel,
    danger,
    submit: async () => (run ? (await run()) ?? true : true),
  });
}

/** A labelled text input. */
export function field(label, props = {}, hint) {
  const id = props.id || uid("field");
  const hintId = hint ? `${id}-hint` : undefined;
  return h("div", { class: "field" },
    h("label", { for: id }, label),
    h("input", { id, type: "text", "aria-describedby": hintId, ...props }),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null);
}

let openMenu = null;

function closeMenu(focusButton = false) {
  if (!openMenu) return;
  const { menu, button } = openMenu;
  openMenu = null;
  menu.remove();
  button.setAttribute("aria-expanded", "false");
  if (focusButton) button.focus();
}

document.addEventListener("pointerdown", (event) => {
  if (openMenu && !openMenu.menu.contains(event.target) && event.target !== openMenu.button) closeMenu();
});
window.addEventListener("resize", () => closeMenu());
window.addEventListener("scroll", () => closeMenu(), true);
window.addEventListener("hashchange", () => closeMenu());

/**
 * A button that opens a popup menu of `items` ({label, action, danger}); arrow keys move, Esc closes.
 */
export function menuButton(label, items, { buttonLabel = "⋯", className = "icon-btn" } = {}) {
  const button = h("button", {
    type: "button", class: `${className} menu-button`, "aria-haspopup": "menu", "aria-expanded": "false", "aria-label": label,
  }, buttonLabel);
  const open = (focusLast = false) => {
    closeMenu();
    const entries = (typeof items === "function" ? items() : items).filter(Boolean);
    const menu = h("div", { class: "menu", role: "menu", "aria-label": label });
    for (const item of entries) {
      menu.append(h("button", {
        type: "button", role: "menuitem", tabindex: "-1", class: item.danger ? "danger" : "",
        dataset: { action: item.id || "" },
        onclick: () => {
          closeMenu(true);
          item.action();
        },
      }, item.label));
    }
    menu.addEventListener("keydown", (event) => {
      const buttons = [...menu.querySelectorAll("button")];
      const at = buttons.indexOf(document.activeElement);
      if (event.key === "ArrowDown") buttons[(at + 1) % buttons.length].focus();
      else if (event.key === "ArrowUp") buttons[(at - 1 + buttons.length) % buttons.length].focus();
      else if (event.key === "Home") buttons[0].focus();
      else if (event.key === "End") buttons[buttons.length - 1].focus();
      else if (event.key === "Escape") closeMenu(true);
      else if (event.key === "Tab") closeMenu();
      else return;
      event.preventDefault();
    });
    document.body.append(menu);
    const rect = button.getBoundingClientRect();
    const width = menu.offsetWidth;
    const height = menu.offsetHeight;
    const left = Math.max(8, Math.min(rect.right - width, window.innerWidth - width - 8));
    const below = rect.bottom + 4;
    const top = below + height > window.innerHeight - 8 ? Math.max(8, rect.top - height - 4) : below;
    menu.style.left = `${left}px`;
    menu.style.top = `${top}px`;
    button.setAttribute("aria-expanded", "true");
    openMenu = { menu, button };
    const buttons = menu.querySelectorAll("button");
    buttons[focusLast ? buttons.length - 1 : 0]?.focus();
  };
  button.addEventListener("click", () => (openMenu?.button === button ? closeMenu() : open()));
  button.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      open(event.key === "ArrowUp");
    }
  });
  return button;
}

/** Copies text; falls back to selecting an input when the clipboard API is refused. */
export async function copyText(text, input) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    if (input) {
      input.focus();
      input.select();
      try {
        return document.execCommand("copy");
      } catch {
        return false;
      }
    }
    return false;
  }
}
