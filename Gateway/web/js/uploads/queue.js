// The upload queue: files go up as tus uploads, two at a time, and can be cancelled; views hear when one is in. The
// panel shows the queue; uploads left unfinished by an earlier visit are offered there to resume.
import { readable } from "../api/errors.js";
import { TusUpload, discardUpload } from "./tus-upload.js";
import { fingerprint, unfinishedUploads } from "./tus-records.js";
import {
  ensurePanel, hasPanel, showPanel, hidePanel, collapse, announce, appendItem, removeItem, showProgress, paintItem,
  paintTotals, paintUnfinished,
} from "./panel.js";

const CONCURRENCY = 2;
const items = [];
const finishedListeners = new Set();
let nextId = 1;
// What the panel's Clear, Resume… and Discard buttons do.
const panelActions = { clear: clearFinished, resume: addFiles, discard };

const isActive = (item) => ["queued", "uploading"].includes(item.state);

/** Called with the destination whenever a file finishes, so views can refresh. */
export function onUploaded(listener) {
  finishedListeners.add(listener);
}

/** Queues files for `destination` ({path: "/docs/", label} or {parent: id, label}). */
export function addFiles(files, destination) {
  ensurePanel(panelActions);
  for (const file of files) {
    if (items.some((item) => isActive(item) && item.key === fingerprint(file, destination))) {
      continue;
    }
    const item = { id: nextId++, file, destination, key: fingerprint(file, destination), state: "queued", sent: 0, total: file.size, speed: 0 };
    appendItem(item, () => cancelItem(item));
    items.push(item);
  }
  showPanel();
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
  showProgress(item, sent, resumed);
  update();
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

/** Repaints the panel's totals and unfinished list (when there is a panel). */
function update() {
  if (!hasPanel()) return;
  paintTotals(items);
  paintUnfinished(unfinishedOthers());
}

function clearFinished() {
  for (let i = items.length - 1; i >= 0; i -= 1) {
    if (!isActive(items[i])) {
      removeItem(items[i]);
      items.splice(i, 1);
    }
  }
  if (items.length === 0 && unfinishedOthers().length === 0) hidePanel();
  update();
}

/** The unfinished uploads of earlier visits that are not in the queue now. */
function unfinishedOthers() {
  const active = new Set(items.filter(isActive).map((item) => item.key));
  return unfinishedUploads().filter((record) => !active.has(record.key));
}

async function discard(record) {
  await discardUpload(record.key);
  update();
  if (items.length === 0 && unfinishedOthers().length === 0) hidePanel();
}

/** Shows the panel when uploads were left unfinished by an earlier visit. */
export function showUnfinished() {
  if (unfinishedUploads().length === 0) return;
  ensurePanel(panelActions);
  showPanel();
  update();
}
