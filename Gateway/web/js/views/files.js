// The file browser: breadcrumb, a sortable listing (folders first), search by name within the folder's tree, new
// folder, uploads by button and drag-and-drop, and each entry's actions menu.
import { h, mount, uid } from "../dom.js";
import * as fmt from "../format.js";
import { get, post, fs, whole } from "../api.js";
import { formDialog, field, menuButton, toast, toastError } from "../ui.js";
import { filesHref, detailsHref, sharedFolderHref, parentPath } from "../routes.js";
import * as actions from "../actions.js";
import { addFiles, dropEntries, uploadDrop, uploadFolderInput, onUploaded } from "../uploads.js";

const SORT_KEY = "cloudstrype.sort";
const COLUMNS = [
  { key: "name", label: "Name" },
  { key: "size", label: "Size" },
  { key: "modified", label: "Modified" },
  { key: "durability", label: "Durability" },
];

let sort = loadSort();
// Which folder a shared folder was opened from, to draw its breadcrumb (ids are all a grantee has).
const sharedParents = new Map();
let current = null;

function loadSort() {
  try {
    const saved = JSON.parse(localStorage.getItem(SORT_KEY) || "null");
    if (saved && COLUMNS.some((c) => c.key === saved.key) && (saved.dir === 1 || saved.dir === -1)) return saved;
  } catch {
    // fall through to the default
  }
  return { key: "name", dir: 1 };
}

const collator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function compare(a, b) {
  if (a.kind !== b.kind) return a.kind === "dir" ? -1 : 1;
  let order = 0;
  if (sort.key === "size") order = a.size - b.size;
  else if (sort.key === "modified") order = new Date(a.modified) - new Date(b.modified);
  else if (sort.key === "durability") order = collator.compare(a.durability || "", b.durability || "");
  return (order || collator.compare(a.name, b.name)) * (order ? sort.dir : sort.key === "name" ? sort.dir : 1);
}

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

const folderSlash = (path) => (path.endsWith("/") ? path : `${path}/`);

/** Where uploads and new folders go for the folder on screen. */
function destinationOf(node, sharedRoot) {
  if (sharedRoot) return { parent: node.id, label: `shared ${node.path}` };
  return { path: folderSlash(node.path), label: node.path };
}

export async function filesPage(main, route) {
  const sharedRoot = Boolean(route.shared);
  const state = { node: null, query: "", tree: null, reload: null };
  current = state;

  const heading = h("h1", { class: "page-title", id: "files-title" }, "Files");
  const crumbs = h("nav", { class: "breadcrumb", "aria-label": "Folder path" });
  const listing = h("div", { class: "listing", id: "listing" });
  const status = h("p", { class: "visually-hidden", role: "status", "aria-live": "polite" });
  const searchId = uid("search");
  // Narrow screens hide the sortable columns; this offers the same orders.
  const sortId = uid("sort");
  const SORT_CHOICES = [
    ["name:1", "Name A–Z"], ["name:-1", "Name Z–A"], ["modified:-1", "Newest first"], ["modified:1", "Oldest first"],
    ["size:-1", "Largest first"], ["size:1", "Smallest first"], ["durability:1", "Durability A–Z"], ["durability:-1", "Durability Z–A"],
  ];
  const sortChoice = h("select", { id: sortId }, SORT_CHOICES.map(([value, label]) => h("option", { value }, label)));
  sortChoice.value = `${sort.key}:${sort.dir}`;
  sortChoice.addEventListener("change", () => {
    const [key, dir] = sortChoice.value.split(":");
    setSort({ key, dir: Number(dir) });
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
  const newFolder = h("button", { type: "button", class: "btn", id: "new-folder", onclick: () => makeFolder() }, "New folder");
  const toolbar = h("div", { class: "toolbar" },
    h("div", { class: "toolbar-actions" }, uploadButton, folderButton, newFolder, fileInput, folderInput),
    h("div", { class: "search-row" },
      h("div", { class: "search" },
        h("label", { for: searchId, class: "visually-hidden" }, "Search by name"),
        search),
      sortSelect));
  const dropHint = h("div", { class: "drop-overlay", "aria-hidden": "true" }, h("p", {}, "Drop files or folders to upload them here"));
  const page = h("section", { class: "page files-page", "aria-labelledby": "files-title" },
    h("div", { class: "page-head" }, crumbs, heading), toolbar, listing, status, dropHint);
  mount(main, page);

  fileInput.addEventListener("change", () => {
    const files = [...fileInput.files];
    fileInput.value = "";
    if (files.length && state.node) addFiles(files, destinationOf(state.node, sharedRoot));
  });
  folderInput.addEventListener("change", async () => {
    const files = [...folderInput.files];
    folderInput.value = "";
    if (!files.length || !state.node) return;
    try {
      await uploadFolderInput(files, destinationOf(state.node, sharedRoot));
      scheduleReload();
    } catch (error) {
      toastError(error);
    }
  });

  // Drag and drop: anywhere on the page, into the folder on screen.
  let depth = 0;
  page.addEventListener("dragenter", (event) => {
    if (!event.dataTransfer?.types?.includes("Files") || !actions.canWrite(state.node || {})) return;
    event.preventDefault();
    depth += 1;
    page.classList.add("dragging");
  });
  page.addEventListener("dragover", (event) => {
    if (!event.dataTransfer?.types?.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  page.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) page.classList.remove("dragging");
  });
  page.addEventListener("drop", async (event) => {
    event.preventDefault();
    depth = 0;
    page.classList.remove("dragging");
    if (!state.node || !actions.canWrite(state.node)) return;
    const drop = dropEntries(event.dataTransfer);
    try {
      const made = await uploadDrop(drop, destinationOf(state.node, sharedRoot));
      if (made) scheduleReload();
    } catch (error) {
      toastError(error);
    }
  });

  let searchTimer = null;
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(() => {
      state.query = search.value.trim();
      render();
    }, 200);
  });
  search.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && search.value) {
      search.value = "";
      state.query = "";
      render();
    }
  });

  async function makeFolder() {
    const here = state.node;
    if (!here) return;
    const made = await formDialog("New folder", {
      fields: [field("Folder name", { name: "name", required: true, autocomplete: "off" })],
      submitLabel: "Create",
      submit: (form) => {
        const name = form.elements.name.value.trim();
        return sharedRoot ? post(fs("/dirs"), { parent_id: here.id, name }) : post(fs("/dirs"), { path: `${folderSlash(here.path)}${name}` });
      },
    });
    if (made) {
      toast(`Created folder ${made.name}.`);
      await reload();
    }
  }

  async function reload() {
    try {
      state.node = await whole(sharedRoot
        ? await get(fs(`/info/${route.shared}`), { query: { depth: 1 } })
        : await get(fs("/info"), { query: { path: route.path, depth: 1 } }), 1);
      state.tree = null;
      if (state.node.kind !== "dir") {
        location.replace(detailsHref(state.node.id));
        return;
      }
      render();
    } catch (error) {
      mount(listing, h("div", { class: "empty", role: "alert" },
        h("p", {}, actions.readable(error)),
        h("p", {}, h("a", { href: sharedRoot ? "#/shared" : filesHref("/") }, sharedRoot ? "Back to shared folders" : "Back to my files"))));
    }
  }
  state.reload = reload;

  function renderCrumbs(node) {
    const parts = [];
    if (sharedRoot) {
      parts.push(h("a", { href: "#/shared" }, "Shared with me"));
      const chain = [];
      for (let id = node.id; sharedParents.has(id) && chain.length < 50; id = sharedParents.get(id).id) {
        chain.unshift(sharedParents.get(id));
      }
      for (const parent of chain) parts.push(h("a", { href: sharedFolderHref(parent.id) }, parent.name));
      parts.push(h("span", { "aria-current": "page" }, node.name));
    } else {
      parts.push(node.path === "/" ? h("span", { "aria-current": "page" }, "My files") : h("a", { href: filesHref("/") }, "My files"));
      const segments = node.path.split("/").filter(Boolean);
      segments.forEach((segment, index) => {
        const path = `/${segments.slice(0, index + 1).join("/")}`;
        parts.push(index === segments.length - 1 ? h("span", { "aria-current": "page" }, segment) : h("a", { href: filesHref(path) }, segment));
      });
    }
    mount(crumbs, h("ol", {}, parts.map((part) => h("li", {}, part))));
    heading.textContent = node.path === "/" && !sharedRoot ? "My files" : node.name;
    document.title = `${heading.textContent} · Cloudstrype`;
  }

  async function searchResults() {
    // There is no search route: the folder's tree (8 levels, the most one listing gives) is fetched once and
    // filtered here by name.
    if (!state.tree) {
      state.tree = await whole(sharedRoot
        ? await get(fs(`/info/${route.shared}`), { query: { depth: 8 } })
        : await get(fs("/info"), { query: { path: route.path, depth: 8 } }), 8);
    }
    const needle = state.query.toLocaleLowerCase();
    const found = [];
    const visit = (node) => {
      for (const child of node.children || []) {
        if (child.name.toLocaleLowerCase().includes(needle)) found.push(child);
        visit(child);
      }
    };
    visit(state.tree);
    return found;
  }

  function setSort(next) {
    sort = next;
    localStorage.setItem(SORT_KEY, JSON.stringify(sort));
    sortChoice.value = `${sort.key}:${sort.dir}`;
    return render();
  }

  async function render() {
    const node = state.node;
    if (!node) return;
    renderCrumbs(node);
    const writable = actions.canWrite(node);
    uploadButton.hidden = folderButton.hidden = newFolder.hidden = !writable;
    let entries = node.children || [];
    let searching = false;
    if (state.query) {
      searching = true;
      try {
        entries = await searchResults();
      } catch (error) {
        toastError(error);
        return;
      }
      if (state.query !== search.value.trim()) return;
    }
    entries = [...entries].sort(compare);
    status.textContent = searching ? `${entries.length} found for “${state.query}”.` : "";
    if (entries.length === 0) {
      mount(listing, h("div", { class: "empty" },
        searching ? h("p", {}, `Nothing named like “${state.query}” here or below.`)
          : [h("p", { class: "empty-title" }, "This folder is empty."),
            writable ? h("p", { class: "muted" }, "Drop files or folders here, or use Upload.") : null]));
      return;
    }
    const table = h("table", { class: "file-table" },
      h("caption", { class: "visually-hidden" }, searching ? `Search results for ${state.query}` : `Contents of ${node.path}`),
      h("thead", {}, h("tr", {},
        COLUMNS.map((column) => h("th", {
          scope: "col", class: `col-${column.key}`,
          "aria-sort": sort.key === column.key ? (sort.dir === 1 ? "ascending" : "descending") : "none",
        }, h("button", {
          type: "button", class: "sort-button", dataset: { sort: column.key },
          onclick: async () => {
            await setSort({ key: column.key, dir: sort.key === column.key ? -sort.dir : 1 });
            listing.querySelector(`[data-sort="${column.key}"]`)?.focus();
          },
        }, column.label, h("span", { class: "sort-mark", "aria-hidden": "true" }, sort.key === column.key ? (sort.dir === 1 ? " ▲" : " ▼") : "")))),
        h("th", { scope: "col", class: "col-actions" }, h("span", { class: "visually-hidden" }, "Actions")))),
      h("tbody", {}, entries.map((entry) => row(entry, searching))));
    mount(listing, table);
  }

  /** The folder a search result is in ("" when it is the folder on screen). */
  function relativePath(entry) {
    const base = state.node.path;
    const parent = parentPath(entry.path);
    return parent === base ? "" : parent;
  }

  function openHref(entry) {
    if (entry.kind === "file") return detailsHref(entry.id);
    return sharedRoot ? sharedFolderHref(entry.id) : filesHref(entry.path);
  }

  function row(entry, searching) {
    const isDir = entry.kind === "dir";
    const link = h("a", {
      href: openHref(entry), class: "entry-link",
      onclick: () => {
        if (sharedRoot && isDir) sharedParents.set(entry.id, { id: state.node.id, name: state.node.name });
      },
    }, entry.name);
    const where = searching ? relativePath(entry) : "";
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
      h("td", { class: "col-actions" }, menuButton(`Actions for ${entry.name}`, () => menuItems(entry))));
  }

  function menuItems(entry) {
    const isDir = entry.kind === "dir";
    const write = actions.canWrite(entry);
    const own = actions.owns(entry);
    const after = (promise) => promise.then((done) => {
      if (done) reload();
    });
    return [
      isDir ? { id: "open", label: "Open", action: () => { location.hash = openHref(entry); } }
        : { id: "details", label: "Details", action: () => { location.hash = detailsHref(entry.id); } },
      isDir ? null : { id: "download", label: "Download", action: () => actions.download(entry) },
      write ? { id: "rename", label: "Rename…", action: () => after(actions.rename(entry)) } : null,
      own ? { id: "move", label: "Move…", action: () => after(actions.move(entry)) } : null,
      isDir ? null : { id: "versions", label: "Versions…", action: () => actions.versions(entry, reload) },
      own ? { id: "share", label: "Share link…", action: () => actions.shareLink(entry) } : null,
      own && isDir ? { id: "grants", label: "Share with people…", action: () => actions.grants(entry) } : null,
      write ? { id: "delete", label: "Delete", danger: true, action: () => after(actions.trash(entry)) } : null,
    ];
  }

  await reload();
}
