// The upload panel: files go up as tus uploads (two at a time), one progress bar per file with speed and time
// left, an overall bar, cancel; dropped folders are walked and created before their files go up.
import { h, mount } from "./dom.js";
import * as fmt from "./format.js";
import { TusUpload, unfinishedUploads, discardUpload, fingerprint } from "./tus.js";
import { post, fs, readable } from "./api.js";

const CONCURRENCY = 2;
const items = [];
const finishedListeners = new Set();
let panel = null;
let nextId = 1;

/** Called with the destination whenever a file finishes, so views can refresh. */
export function onUploaded(listener) {
  finishedListeners.add(listener);
}

function destinationLabel(destination) {
  return destination.label || destination.path || "shared folder";
}

/** Queues files for `destination` ({path: "/docs/", label} or {parent: id, label}). */
export function addFiles(files, destination) {
  ensurePanel();
  for (const file of files) {
    if (items.some((item) => ["queued", "uploading"].includes(item.state) && item.key === fingerprint(file, destination))) {
      continue;
    }
    const item = { id: nextId++, file, destination, key: fingerprint(file, destination), state: "queued", sent: 0, total: file.size, speed: 0 };
    item.el = renderItem(item);
    panel.list.append(item.el);
    items.push(item);
  }
  panel.root.hidden = false;
  collapse(false);
  pump();
  update();
}

function pump() {
  while (items.filter((item) => item.state === "uploading").length < CONCURRENCY) {
    const next = items.find((item) => item.state === "queued");
    if (!next) break;
    run(next);
  }
}

async function run(item) {
  item.state = "uploading";
  item.started = performance.now();
  item.lastSample = { t: item.started, sent: 0 };
  item.upload = new TusUpload(item.file, item.destination, {
    onProgress: ({ sent, resumed }) => progress(item, sent, resumed),
    onState: (text) => {
      item.note = text;
      paintItem(item);
    },
  });
  paintItem(item);
  try {
    await item.upload.start();
    item.state = "done";
    item.sent = item.total;
    announce(`${item.file.name} uploaded.`);
    for (const listener of finishedListeners) listener(item.destination);
  } catch (error) {
    if (item.state !== "cancelled") {
      item.state = "failed";
      item.error = readable(error);
      announce(`${item.file.name} failed: ${item.error}`);
    }
  }
  item.note = "";
  paintItem(item);
  update();
  pump();
}

function progress(item, sent, resumed) {
  const now = performance.now();
  if (resumed) {
    item.note = `Resumed at ${fmt.bytes(sent)}`;
    item.el.dataset.resumedAt = String(sent);
    item.lastSample = { t: now, sent };
  }
  const dt = (now - item.lastSample.t) / 1000;
  if (dt >= 0.25) {
    const instant = Math.max(0, sent - item.lastSample.sent) / dt;
    item.speed = item.speed ? item.speed * 0.6 + instant * 0.4 : instant;
    item.lastSample = { t: now, sent };
  } else if (!item.speed && sent > item.sent && dt > 0.05) {
    item.speed = (sent - item.lastSample.sent) / dt;
  }
  item.sent = sent;
  if (!resumed && item.note && item.note.startsWith("Connection")) item.note = "";
  paintItem(item);
  update();
}

function percentOf(item) {
  if (item.state === "done") return 100;
  return item.total ? Math.floor((item.sent / item.total) * 1000) / 10 : 0;
}

function renderItem(item) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Upload of ${item.file.name}` });
  const meta = h("span", { class: "upload-meta" });
  const state = h("span", { class: "upload-state" });
  const cancel = h("button", {
    type: "button", class: "btn btn-small", "aria-label": `Cancel upload of ${item.file.name}`,
    onclick: () => cancelItem(item),
  }, "Cancel");
  const el = h("li", { class: "upload-item", dataset: { name: item.file.name, state: item.state } },
    h("div", { class: "upload-line" },
      h("span", { class: "upload-name", title: item.file.name }, item.file.name),
      state),
    bar,
    h("div", { class: "upload-line" }, meta, cancel));
  Object.assign(item, { bar, meta, stateEl: state, cancelEl: cancel });
  return el;
}

function paintItem(item) {
  const pct = percentOf(item);
  item.bar.value = pct;
  item.bar.setAttribute("aria-valuetext", `${pct}%`);
  item.el.dataset.state = item.state;
  const labels = { queued: "Waiting", uploading: `${Math.floor(pct)}%`, done: "Done", failed: "Failed", cancelled: "Cancelled" };
  item.stateEl.textContent = labels[item.state];
  let meta = `${fmt.bytes(item.sent)} of ${fmt.bytes(item.total)} · to ${destinationLabel(item.destination)}`;
  if (item.state === "uploading") {
    const left = item.speed > 0 ? (item.total - item.sent) / item.speed : NaN;
    meta = `${fmt.bytes(item.sent)} of ${fmt.bytes(item.total)} · ${fmt.speed(item.speed)} · ${Number.isFinite(left) ? `${fmt.duration(left)} left` : "estimating…"}`;
  } else if (item.state === "done") {
    const seconds = (performance.now() - item.started) / 1000;
    meta = `${fmt.bytes(item.total)} · to ${destinationLabel(item.destination)}${seconds > 0.5 ? ` · ${fmt.speed(item.total / seconds)}` : ""}`;
  } else if (item.state === "failed") {
    meta = item.error;
  }
  if (item.note) meta = `${item.note} · ${meta}`;
  item.meta.textContent = meta;
  item.meta.classList.toggle("error-text", item.state === "failed");
  item.cancelEl.hidden = !["queued", "uploading"].includes(item.state);
}

async function cancelItem(item) {
  const was = item.state;
  item.state = "cancelled";
  paintItem(item);
  update();
  if (was === "uploading") await item.upload.cancel();
  announce(`Upload of ${item.file.name} cancelled.`);
  pump();
}

function update() {
  if (!panel) return;
  const counted = items.filter((item) => item.state !== "cancelled");
  // The overall bar measures what is still going or went through; failed files are counted apart.
  const going = counted.filter((item) => item.state !== "failed");
  const total = going.reduce((sum, item) => sum + item.total, 0);
  const sent = going.reduce((sum, item) => sum + (item.state === "done" ? item.total : item.sent), 0);
  const active = items.filter((item) => ["queued", "uploading"].includes(item.state));
  const done = counted.filter((item) => item.state === "done").length;
  const failed = counted.filter((item) => item.state === "failed").length;
  const allDone = going.length > 0 && active.length === 0;
  const pct = allDone ? 100 : total ? Math.floor((sent / total) * 1000) / 10 : 0;
  panel.overall.value = pct;
  panel.overall.setAttribute("aria-valuetext", `${pct}%`);
  const speed = items.filter((item) => item.state === "uploading").reduce((sum, item) => sum + item.speed, 0);
  const left = speed > 0 ? (total - sent) / speed : NaN;
  panel.summary.textContent = active.length
    ? `${done} of ${counted.length} done · ${fmt.bytes(sent)} of ${fmt.bytes(total)}${Number.isFinite(left) ? ` · ${fmt.duration(left)} left` : ""}`
    : `${done} of ${counted.length} done${failed ? ` · ${failed} failed` : ""}`;
  panel.overallPct.textContent = `${Math.floor(pct)}%`;
  panel.clear.hidden = active.length > 0 || items.length === 0;
  if (active.length === 0) foldWhenDone(allDone && failed === 0);
  paintUnfinished();
}

/** Folds the panel down to its title bar (or opens it). */
function collapse(folded) {
  clearTimeout(foldTimer);
  panel.root.classList.toggle("collapsed", folded);
  panel.toggle.setAttribute("aria-expanded", String(!folded));
  panel.toggle.textContent = folded ? "Show" : "Hide";
}

// Once everything went through, the panel folds away after a moment so it does not sit on the listing.
let foldTimer = null;
function foldWhenDone(allDone) {
  clearTimeout(foldTimer);
  if (allDone) foldTimer = setTimeout(() => collapse(true), 4000);
}

function announce(text) {
  if (panel) panel.live.textContent = text;
}

function clearFinished() {
  for (let i = items.length - 1; i >= 0; i -= 1) {
    if (!["queued", "uploading"].includes(items[i].state)) {
      items[i].el.remove();
      items.splice(i, 1);
    }
  }
  if (items.length === 0 && unfinishedOthers().length === 0) panel.root.hidden = true;
  update();
}

function unfinishedOthers() {
  const active = new Set(items.filter((item) => ["queued", "uploading"].includes(item.state)).map((item) => item.key));
  return unfinishedUploads().filter((record) => !active.has(record.key));
}

function paintUnfinished() {
  const records = unfinishedOthers();
  panel.unfinished.hidden = records.length === 0;
  if (records.length === 0) return;
  mount(panel.unfinished,
    h("p", { class: "hint" }, "Unfinished uploads from an earlier visit. Choose the same file again to resume where it stopped."),
    h("ul", { class: "plain-list" }, records.map((record) => {
      const input = h("input", {
        type: "file", class: "visually-hidden", tabindex: "-1", "aria-hidden": "true",
        onchange: () => {
          const chosen = [...input.files];
          input.value = "";
          if (chosen.length) addFiles(chosen, record.destination);
        },
      });
      return h("li", { class: "unfinished-item", dataset: { name: record.name } },
        h("span", { class: "upload-name" }, record.name),
        h("span", { class: "upload-meta" }, `${fmt.bytes(record.offset)} of ${fmt.bytes(record.size)}`),
        h("span", { class: "row-actions" },
          input,
          h("button", { type: "button", class: "btn btn-small", onclick: () => input.click() }, "Resume…"),
          h("button", {
            type: "button", class: "btn btn-small", "aria-label": `Discard unfinished upload of ${record.name}`,
            onclick: async () => {
              await discardUpload(record.key);
              update();
              if (items.length === 0 && unfinishedOthers().length === 0) panel.root.hidden = true;
            },
          }, "Discard")));
    })));
}

function ensurePanel() {
  if (panel) return panel;
  const overall = h("progress", { id: "upload-overall", max: "100", value: "0", "aria-label": "All uploads" });
  const summary = h("span", { class: "upload-meta", id: "upload-summary" });
  const overallPct = h("span", { class: "upload-state" });
  const list = h("ul", { class: "upload-list", "aria-label": "Files being uploaded" });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const clear = h("button", { type: "button", class: "btn btn-small", onclick: clearFinished }, "Clear");
  const toggle = h("button", {
    type: "button", class: "btn btn-small", id: "uploads-toggle", "aria-expanded": "true", "aria-controls": "uploads-body",
    onclick: () => collapse(!root.classList.contains("collapsed")),
  }, "Hide");
  const unfinished = h("div", { class: "unfinished", hidden: true });
  const root = h("section", { class: "uploads", id: "uploads", "aria-labelledby": "uploads-title", hidden: true },
    h("div", { class: "uploads-head" },
      h("h2", { id: "uploads-title" }, "Uploads"),
      h("span", { class: "row-actions" }, clear, toggle)),
    h("div", { class: "uploads-body", id: "uploads-body" },
      h("div", { class: "upload-overall" },
        h("div", { class: "upload-line" }, summary, overallPct),
        overall),
      list,
      unfinished),
    live);
  document.body.append(root);
  panel = { root, overall, summary, overallPct, list, live, clear, unfinished, toggle };
  return panel;
}

/** Shows the panel when uploads were left unfinished by an earlier visit. */
export function showUnfinished() {
  if (unfinishedUploads().length === 0) return;
  ensurePanel();
  panel.root.hidden = false;
  update();
}

/** The files and folders of a drop, read synchronously from the event (the list is gone after it). */
export function dropEntries(dataTransfer) {
  const entries = [];
  for (const item of dataTransfer.items || []) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
  }
  return entries.length ? { entries } : { files: [...(dataTransfer.files || [])] };
}

function readAll(directory) {
  const reader = directory.createReader();
  const found = [];
  return new Promise((resolve, reject) => {
    const more = () => reader.readEntries((batch) => {
      if (batch.length === 0) resolve(found);
      else {
        found.push(...batch);
        more();
      }
    }, reject);
    more();
  });
}

const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));

/** Walks dropped entries: the folders (relative paths, parents first) and the files with their folder. */
async function walk(entries) {
  const dirs = [];
  const files = [];
  const visit = async (entry, parent) => {
    if (entry.isDirectory) {
      const rel = parent ? `${parent}/${entry.name}` : entry.name;
      dirs.push(rel);
      for (const child of await readAll(entry)) await visit(child, rel);
    } else if (entry.isFile) {
      files.push({ file: await fileOf(entry), dir: parent });
    }
  };
  for (const entry of entries) await visit(entry, "");
  return { dirs, files };
}

/**
 * Uploads a drop into `destination`: folders are created first (POST /dirs), then every file goes up into its
 * folder. Resolves with how many folders were made.
 */
export async function uploadDrop(drop, destination) {
  if (drop.files) {
    addFiles(drop.files, destination);
    return 0;
  }
  const { dirs, files } = await walk(drop.entries);
  return place(dirs, files, destination);
}

/** Uploads what a folder input (webkitdirectory) gave: each file's folder comes from its webkitRelativePath. */
export async function uploadFolderInput(fileList, destination) {
  const dirs = new Set();
  const files = [];
  for (const file of fileList) {
    const parts = (file.webkitRelativePath || file.name).split("/").slice(0, -1);
    for (let i = 1; i <= parts.length; i += 1) dirs.add(parts.slice(0, i).join("/"));
    files.push({ file, dir: parts.join("/") });
  }
  return place([...dirs].sort((a, b) => a.split("/").length - b.split("/").length), files, destination);
}

/** Creates the folders (parents first, POST /dirs), then queues every file into its folder. */
async function place(dirs, files, destination) {
  const targets = new Map([["", destination]]);
  for (const rel of dirs) {
    const parentRel = rel.includes("/") ? rel.slice(0, rel.lastIndexOf("/")) : "";
    const name = rel.slice(rel.lastIndexOf("/") + 1);
    const parent = targets.get(parentRel);
    if (destination.parent) {
      const made = await post(fs("/dirs"), { parent_id: parent.parent, name });
      targets.set(rel, { parent: made.id, label: `${parent.label}/${name}` });
    } else {
      await post(fs("/dirs"), { path: `${parent.path}${name}` });
      targets.set(rel, { path: `${parent.path}${name}/`, label: `${parent.path}${name}` });
    }
  }
  const byDir = new Map();
  for (const { file, dir } of files) {
    if (!byDir.has(dir)) byDir.set(dir, []);
    byDir.get(dir).push(file);
  }
  for (const [dir, list] of byDir) addFiles(list, targets.get(dir));
  return dirs.length;
}
