// What can be done to a file's contents, shared by the browser and the details page: download it, and its
// versions (a dialog that lists them and restores one).
import { h, mount } from "../dom.js";
import * as fmt from "../format.js";
import { get, post } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { dialog, toast, toastError, errorLine, showError } from "../ui.js";
import { canWrite } from "./access.js";

/**
 * Saves a file: the server gives a short-lived download URL that needs no token, and the browser streams it
 * straight to disk with its own download manager (nothing of the file is held in the page).
 */
export async function download(node) {
  try {
    const ticket = await post(fs(`/info/${node.id}/download`));
    const link = h("a", { href: ticket.url, download: node.name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    toast(`Downloading ${node.name}: your browser shows its progress.`);
  } catch (error) {
    toastError(error);
  }
}

export async function versions(node, onChange) {
  await dialog(`Versions of “${node.name}”`, () => {
    const list = h("div", { class: "versions" }, h("p", { class: "muted" }, "Loading…"));
    const error = errorLine();
    const load = async () => {
      try {
        const { items } = await get(fs(`/info/${node.id}/versions`));
        mount(list, h("ul", { class: "plain-list version-list" }, items.map((version) =>
          h("li", { class: "version", dataset: { version: String(version.version) } },
            h("div", { class: "version-main" },
              h("strong", {}, `Version ${version.version}`),
              version.current ? h("span", { class: "badge badge-ok" }, "current") : null,
              h("div", { class: "muted small" }, `${fmt.date(version.created)} · ${fmt.bytes(version.size)} · SHA-256 ${version.sha256.slice(0, 12)}…`)),
            version.current || !canWrite(node) ? null : h("button", {
              type: "button", class: "btn btn-small",
              onclick: async () => {
                try {
                  await post(fs(`/info/${node.id}/versions/${version.version}/restore`));
                  toast(`Version ${version.version} restored as the current version.`);
                  onChange?.();
                  await load();
                } catch (failure) {
                  showError(error, failure);
                }
              },
            }, "Restore")))));
      } catch (failure) {
        mount(list);
        showError(error, failure);
      }
    };
    load();
    return h("div", { class: "stack" }, list, error);
  });
}
