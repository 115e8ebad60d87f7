// The file browser's toolbar and what it does: upload files or a folder into the folder on screen, make a new
// folder, search by name, and the sort order as a list (for narrow screens).
import { h, uid } from "../../dom.js";
import { post } from "../../api/request.js";
import { fs } from "../../api/filesystem.js";
import { formDialog, field, toast, toastError } from "../../ui.js";
import { addFiles } from "../../uploads/queue.js";
import { uploadFolderInput } from "../../uploads/folders.js";
import { SORT_CHOICES, currentSort } from "./sort.js";
import { folderSlash, destinationOf } from "./destination.js";

/**
 * The toolbar for `view` (the files page: its node, query, sharedRoot, render, reload, setSort, scheduleReload).
 * Returns its element and what the page changes on it.
 */
export function filesToolbar(view) {
  const searchId = uid("search");
  // Narrow screens hide the sortable columns; this offers the same orders.
  const sortId = uid("sort");
  const sortChoice = h("select", { id: sortId }, SORT_CHOICES.map(([value, label]) => h("option", { value }, label)));
  const sort = currentSort();
  sortChoice.value = `${sort.key}:${sort.dir}`;
  sortChoice.addEventListener("change", () => {
    const [key, dir] = sortChoice.value.split(":");
    view.setSort({ key, dir: Number(dir) });
  });
  const sortSelect = h("div", { class: "sort-select" }, h("label", { for: sortId, class: "visually-hidden" }, "Sort by"), sortChoice);
  const search = h("input", {
    id: searchId, type: "search", placeholder: "Search by name", autocomplete: "off", class: "search-input",
  });
  const fileInput = h("input", { type: "file", multiple: true, id: "upload-input", class: "visually-hidden", tabindex: "-1" });
  const folderInput = h("input", { type: "file", multiple: true, webkitdirectory: true, id: "upload-folder-input", class: "visually-hidden", tabindex: "-1" });
  const uploadButton = h("button", { type: "button", class: "btn btn-primary", id: "upload-button", onclick: () => fileInput.click() },
    h("span", { "aria-hidden": "true" }, "↑ "), "Upload");
  const folderButton = h("button", { type: "button", class: "btn", id: "upload-folder-button", onclick: () => folderInput.click() }, "Upload folder");
  const newFolder = h("button", { type: "button", class: "btn", id: "new-folder", onclick: () => makeFolder(view) }, "New folder");
  const el = h("div", { class: "toolbar" },
    h("div", { class: "toolbar-actions" }, uploadButton, folderButton, newFolder, fileInput, folderInput),
    h("div", { class: "search-row" },
      h("div", { class: "search" },
        h("label", { for: searchId, class: "visually-hidden" }, "Search by name"),
        search),
      sortSelect));

  fileInput.addEventListener("change", () => {
    const files = [...fileInput.files];
    fileInput.value = "";
    if (files.length && view.node) addFiles(files, destinationOf(view.node, view.sharedRoot));
  });
  folderInput.addEventListener("change", async () => {
    const files = [...folderInput.files];
    folderInput.value = "";
    if (!files.length || !view.node) return;
    try {
      await uploadFolderInput(files, destinationOf(view.node, view.sharedRoot));
      view.scheduleReload();
    } catch (error) {
      toastError(error);
    }
  });

  let searchTimer = null;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      view.query = search.value.trim();
      view.render();
    }, 200);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && search.value) {
      search.value = "";
      view.query = "";
      view.render();
    }
  });

  return {
    el,
    /** What the search box says now. */
    searchText: () => search.value.trim(),
    showSort: (sort) => {
      sortChoice.value = `${sort.key}:${sort.dir}`;
    },
    /** Upload and New folder only where the user may write. */
    showWriteActions: (writable) => {
      uploadButton.hidden = folderButton.hidden = newFolder.hidden = !writable;
    },
  };
}

async function makeFolder(view) {
  const here = view.node;
  if (!here) return;
  const made = await formDialog("New folder", {
    fields: [field("Folder name", { name: "name", required: true, autocomplete: "off" })],
    submitLabel: "Create",
    submit: (form) => {
      const name = form.elements.name.value.trim();
      return view.sharedRoot ? post(fs("/dirs"), { parent_id: here.id, name }) : post(fs("/dirs"), { path: `${folderSlash(here.path)}${name}` });
    },
  });
  if (made) {
    toast(`Created folder ${made.name}.`);
    await view.reload();
  }
}
