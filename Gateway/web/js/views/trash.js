// The trash: what was deleted, latest first, with restore and delete-for-good.
import { h, mount } from "../dom.js";
import * as fmt from "../format.js";
import { readable } from "../api/errors.js";
import { get, post, del } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { confirmDialog, toast, toastError } from "../ui.js";
import { parentPath } from "../routes.js";

export async function trashPage(main) {
  document.title = "Trash · Cloudstrype";
  const list = h("div", { class: "listing", id: "trash-list" }, h("p", { class: "muted" }, "Loading…"));
  mount(main, h("section", { class: "page", "aria-labelledby": "trash-title" },
    h("div", { class: "page-head" }, h("h1", { class: "page-title", id: "trash-title" }, "Trash")),
    h("p", { class: "muted" }, "Deleted files and folders stay here until you delete them for good. They still count toward your usage."),
    list));

  async function load() {
    let items;
    try {
      ({ items } = await get(fs("/trash")));
    } catch (error) {
      mount(list, h("p", { role: "alert", class: "form-error" }, readable(error)));
      return;
    }
    if (items.length === 0) {
      mount(list, h("div", { class: "empty" }, h("p", { class: "empty-title" }, "The trash is empty.")));
      return;
    }
    mount(list, h("table", { class: "file-table trash-table" },
      h("caption", { class: "visually-hidden" }, "Trashed files and folders"),
      h("thead", {}, h("tr", {},
        h("th", { scope: "col", class: "col-name" }, "Name"),
        h("th", { scope: "col", class: "col-size" }, "Size"),
        h("th", { scope: "col", class: "col-modified" }, "Deleted"),
        h("th", { scope: "col", class: "col-actions-wide" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, items.map((node) => h("tr", { dataset: { name: node.name, id: node.id } },
        h("td", { class: "col-name" }, h("div", { class: "name-cell" },
          h("span", { class: `file-icon ${node.kind === "dir" ? "icon-dir" : "icon-file"}`, "aria-hidden": "true" }),
          h("div", { class: "name-text" },
            h("span", { class: "entry-name" }, node.name),
            h("div", { class: "muted small" }, `was in ${parentPath(node.path)}`),
            h("div", { class: "row-sub muted small" }, `${node.kind === "dir" ? "Folder" : fmt.bytes(node.size)} · deleted ${fmt.date(node.trashed_at)}`)))),
        h("td", { class: "col-size" }, node.kind === "dir" ? "—" : fmt.bytes(node.size)),
        h("td", { class: "col-modified" }, fmt.date(node.trashed_at)),
        h("td", { class: "col-actions-wide" }, h("div", { class: "row-actions" },
          h("button", {
            type: "button", class: "btn btn-small", dataset: { action: "restore" }, "aria-label": `Restore ${node.name}`,
            onclick: async () => {
              try {
                const restored = await post(fs(`/trash/${node.id}/restore`));
                toast(`Restored ${restored.name} to ${parentPath(restored.path)}.`);
                await load();
              } catch (error) {
                toastError(error);
              }
            },
          }, "Restore"),
          h("button", {
            type: "button", class: "btn btn-small btn-danger", dataset: { action: "purge" }, "aria-label": `Delete ${node.name} for good`,
            onclick: async () => {
              const done = await confirmDialog(`Delete “${node.name}” for good?`, "This cannot be undone: its data is erased from your storage.", {
                confirmLabel: "Delete for good", danger: true, run: () => del(fs(`/info/${node.id}`), { query: { purge: "true" } }),
              });
              if (done) {
                toast(`Deleted ${node.name} for good.`);
                await load();
              }
            },
          }, "Delete"))))))));
  }
  await load();
}

