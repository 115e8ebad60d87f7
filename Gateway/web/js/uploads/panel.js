// The upload panel: one progress bar per file with speed and time left, an overall bar and summary, the uploads an
// earlier visit left unfinished, and folding away once everything went through. What it shows, the queue decides.
import { h, mount } from "../dom.js";
import * as fmt from "../format.js";

let panel = null;
// The queue's answers to the panel's buttons: {clear(), resume(files, destination), discard(record)}.
let handlers = null;

function destinationLabel(destination) {
  return destination.label || destination.path || "shared folder";
}

/** Builds the panel once (hidden), with what its buttons do. */
export function ensurePanel(answers) {
  if (panel) return panel;
  handlers = answers;
  const overall = h("progress", { id: "upload-overall", max: "100", value: "0", "aria-label": "All uploads" });
  const summary = h("span", { class: "upload-meta", id: "upload-summary" });
  const overallPct = h("span", { class: "upload-state" });
  const list = h("ul", { class: "upload-list", "aria-label": "Files being uploaded" });
  const live = h("p", { class: "visually-hidden", "aria-live": "polite" });
  const clear = h("button", { type: "button", class: "btn btn-small", onclick: handlers.clear }, "Clear");
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

export const hasPanel = () => panel !== null;

export function showPanel() {
  panel.root.hidden = false;
}

export function hidePanel() {
  panel.root.hidden = true;
}

/** Folds the panel down to its title bar (or opens it). */
export function collapse(folded) {
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

export function announce(text) {
  if (panel) panel.live.textContent = text;
}

/** Adds a file's row (its bar, state, meta line and Cancel, which calls `onCancel`) to the list. */
export function appendItem(item, onCancel) {
  item.el = renderItem(item, onCancel);
  panel.list.append(item.el);
}

export function removeItem(item) {
  item.el.remove();
}

function renderItem(item, onCancel) {
  const bar = h("progress", { max: "100", value: "0", "aria-label": `Upload of ${item.file.name}` });
  const meta = h("span", { class: "upload-meta" });
  const state = h("span", { class: "upload-state" });
  const cancel = h("button", {
    type: "button", class: "btn btn-small", "aria-label": `Cancel upload of ${item.file.name}`,
    onclick: onCancel,
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

/** Takes a file's bytes sent so far (and whether the upload resumed there): its speed estimate, then its row. */
export function showProgress(item, sent, resumed) {
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
}

function percentOf(item) {
  if (item.state === "done") return 100;
  return item.total ? Math.floor((item.sent / item.total) * 1000) / 10 : 0;
}

export function paintItem(item) {
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

/** The overall bar and summary line over all `items`; folds the panel when nothing is left to do. */
export function paintTotals(items) {
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
}

/** The uploads an earlier visit left unfinished (`records`), each with Resume… (choose the file again) and Discard. */
export function paintUnfinished(records) {
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
          if (chosen.length) handlers.resume(chosen, record.destination);
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
            onclick: () => handlers.discard(record),
          }, "Discard")));
    })));
}
