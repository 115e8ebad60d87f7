// The file listing: the folder's entries (or search results) as a table in the chosen order, sortable by its column
// headers, each row with its actions menu, or what to say when there is nothing.
import { h, mount } from "../../dom.js";
import * as fmt from "../../format.js";
import { menuButton } from "../../ui.js";
import { filesHref, detailsHref, sharedFolderHref, parentPath } from "../../routes.js";
import { owns, canWrite } from "../../actions/access.js";
import { rename, move, trash } from "../../actions/tree.js";
import { download, versions } from "../../actions/file.js";
import { shareLink, grants } from "../../actions/sharing.js";
import { COLUMNS, currentSort, compare } from "./sort.js";
import { rememberParent } from "./breadcrumb.js";

/**
 * Shows `entries` of the folder `node` in `listing` (and how many were found in `status`) for `view`, the files page
 * (its node, query, sharedRoot, reload and setSort); `searching` when they are search results.
 */
export function showEntries(listing, status, view, { node, entries, searching, writable }) {
  entries = [...entries].sort(compare);
  status.textContent = searching ? `${entries.length} found for “${view.query}”.` : "";
  if (entries.length === 0) {
    mount(listing, h("div", { class: "empty" },
      searching ? h("p", {}, `Nothing named like “${view.query}” here or below.`)
        : [h("p", { class: "empty-title" }, "This folder is empty."),
          writable ? h("p", { class: "muted" }, "Drop files or folders here, or use Upload.") : null]));
    return;
  }
  const sort = currentSort();
  const table = h("table", { class: "file-table" },
    h("caption", { class: "visually-hidden" }, searching ? `Search results for ${view.query}` : `Contents of ${node.path}`),
    h("thead", {}, h("tr", {},
      COLUMNS.map((column) => h("th", {
        scope: "col", class: `col-${column.key}`,
        "aria-sort": sort.key === column.key ? (sort.dir === 1 ? "ascending" : "descending") : "none",
      }, h("button", {
        type: "button", class: "sort-button", dataset: { sort: column.key },
        onclick: async () => {
          const now = currentSort();
          await view.setSort({ key: column.key, dir: now.key === column.key ? -now.dir : 1 });
          listing.querySelector(`[data-sort="${column.key}"]`)?.focus();
        },
      }, column.label, h("span", { class: "sort-mark", "aria-hidden": "true" }, sort.key === column.key ? (sort.dir === 1 ? " ▲" : " ▼") : "")))),
      h("th", { scope: "col", class: "col-actions" }, h("span", { class: "visually-hidden" }, "Actions")))),
    h("tbody", {}, entries.map((entry) => row(view, entry, searching))));
  mount(listing, table);
}

/** The folder a search result is in ("" when it is the folder on screen). */
function relativePath(view, entry) {
  const base = view.node.path;
  const parent = parentPath(entry.path);
  return parent === base ? "" : parent;
}

function openHref(view, entry) {
  if (entry.kind === "file") return detailsHref(entry.id);
  return view.sharedRoot ? sharedFolderHref(entry.id) : filesHref(entry.path);
}

function row(view, entry, searching) {
  const isDir = entry.kind === "dir";
  const link = h("a", {
    href: openHref(view, entry), class: "entry-link",
    onclick: () => {
      if (view.sharedRoot && isDir) rememberParent(entry.id, { id: view.node.id, name: view.node.name });
    },
  }, entry.name);
  const where = searching ? relativePath(view, entry) : "";
  const sub = [isDir ? "Folder" : fmt.bytes(entry.size), fmt.date(entry.modified)].join(" · ");
  return h("tr", { dataset: { name: entry.name, kind: entry.kind, id: entry.id } },
    h("td", { class: "col-name" },
      h("div", { class: "name-cell" },
        h("span", { class: `file-icon ${isDir ? "icon-dir" : "icon-file"}`, "aria-hidden": "true" }),
        h("div", { class: "name-text" },
          link,
          where ? h("div", { class: "muted small" }, `in ${where}`) : null,
          h("div", { class: "row-sub muted small" }, sub)))),
    h("td", { class: "col-size" }, isDir ? h("span", { class: "muted" }, "—") : fmt.bytes(entry.size)),
    h("td", { class: "col-modified" }, h("time", { datetime: entry.modified }, fmt.date(entry.modified))),
    h("td", { class: "col-durability" }, entry.durability ? h("span", { class: "badge", title: fmt.durability(entry.durability) }, entry.durability) : h("span", { class: "muted" }, "—")),
    h("td", { class: "col-actions" }, menuButton(`Actions for ${entry.name}`, () => menuItems(view, entry))));
}

function menuItems(view, entry) {
  const isDir = entry.kind === "dir";
  const write = canWrite(entry);
  const own = owns(entry);
  const after = (promise) => promise.then((done) => {
    if (done) view.reload();
  });
  return [
    isDir ? { id: "open", label: "Open", action: () => { location.hash = openHref(view, entry); } }
      : { id: "details", label: "Details", action: () => { location.hash = detailsHref(entry.id); } },
    isDir ? null : { id: "download", label: "Download", action: () => download(entry) },
    write ? { id: "rename", label: "Rename…", action: () => after(rename(entry)) } : null,
    own ? { id: "move", label: "Move…", action: () => after(move(entry)) } : null,
    isDir ? null : { id: "versions", label: "Versions…", action: () => versions(entry, view.reload) },
    own ? { id: "share", label: "Share link…", action: () => shareLink(entry) } : null,
    own && isDir ? { id: "grants", label: "Share with people…", action: () => grants(entry) } : null,
    write ? { id: "delete", label: "Delete", danger: true, action: () => after(trash(entry)) } : null,
  ];
}
