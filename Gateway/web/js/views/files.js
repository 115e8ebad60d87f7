// The file browser: the folder on screen (one's own by path, a shared one by id) with every page of its listing,
// search by name within its tree, and refreshing when uploads into it finish. Its parts are in views/files/.
import { h, mount } from "../dom.js";
import { readable } from "../api/errors.js";
import { get } from "../api/request.js";
import { fs, whole } from "../api/filesystem.js";
import { toastError } from "../ui.js";
import { filesHref, detailsHref } from "../routes.js";
import { canWrite } from "../actions/access.js";
import { onUploaded } from "../uploads/queue.js";
import { saveSort } from "./files/sort.js";
import { folderSlash } from "./files/destination.js";
import { showBreadcrumb } from "./files/breadcrumb.js";
import { filesToolbar } from "./files/toolbar.js";
import { showEntries } from "./files/listing.js";
import { dropOverlay, acceptDrops } from "./files/drop.js";

let current = null;

onUploaded((destination) => {
  if (!current || !current.node) return;
  const here = current.node;
  const matches = destination.parent ? destination.parent === here.id : destination.path === folderSlash(here.path) && !here.access;
  if (matches) scheduleReload();
});

let reloadTimer = null;
function scheduleReload() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => current?.reload(), 300);
}

export async function filesPage(main, route) {
  const sharedRoot = Boolean(route.shared);
  // What the parts share: the folder on screen, the search, and what they may ask of the page.
  const view = { sharedRoot, node: null, query: "", tree: null, reload, render, setSort, scheduleReload };
  current = view;

  const heading = h("h1", { class: "page-title", id: "files-title" }, "Files");
  const crumbs = h("nav", { class: "breadcrumb", "aria-label": "Folder path" });
  const listing = h("div", { class: "listing", id: "listing" });
  const status = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const toolbar = filesToolbar(view);
  const dropHint = dropOverlay();
  const page = h("section", { class: "page files-page", "aria-labelledby": "files-title" },
    h("div", { class: "page-head" }, crumbs, heading), toolbar.el, listing, status, dropHint);
  mount(main, page);
  // Drag and drop: anywhere on the page, into the folder on screen.
  acceptDrops(page, view);

  async function reload() {
    try {
      view.node = await whole(sharedRoot
        ? await get(fs(`/info/${route.shared}`), { query: { depth: 1 } })
        : await get(fs("/info"), { query: { path: route.path, depth: 1 } }), 1);
      view.tree = null;
      if (view.node.kind !== "dir") {
        location.replace(detailsHref(view.node.id));
        return;
      }
      render();
    } catch (error) {
      mount(listing, h("div", { class: "empty", role: "alert" },
        h("p", {}, readable(error)),
        h("p", {}, h("a", { href: sharedRoot ? "#/shared" : filesHref("/") }, sharedRoot ? "Back to shared folders" : "Back to my files"))));
    }
  }

  async function searchResults() {
    // There is no search route: the folder's tree (8 levels, the most one listing gives) is fetched once and
    // filtered here by name.
    if (!view.tree) {
      view.tree = await whole(sharedRoot
        ? await get(fs(`/info/${route.shared}`), { query: { depth: 8 } })
        : await get(fs("/info"), { query: { path: route.path, depth: 8 } }), 8);
    }
    const needle = view.query.toLocaleLowerCase();
    const found = [];
    const visit = (node) => {
      for (const child of node.children || []) {
        if (child.name.toLocaleLowerCase().includes(needle)) found.push(child);
        visit(child);
      }
    };
    visit(view.tree);
    return found;
  }

  function setSort(next) {
    saveSort(next);
    toolbar.showSort(next);
    return render();
  }

  async function render() {
    const node = view.node;
    if (!node) return;
    showBreadcrumb(crumbs, heading, node, sharedRoot);
    const writable = canWrite(node);
    toolbar.showWriteActions(writable);
    let entries = node.children || [];
    let searching = false;
    if (view.query) {
      searching = true;
      try {
        entries = await searchResults();
      } catch (error) {
        toastError(error);
        return;
      }
      if (view.query !== toolbar.searchText()) return;
    }
    showEntries(listing, status, view, { node, entries, searching, writable });
  }

  await reload();
}
