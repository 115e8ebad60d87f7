// File details: size, SHA-256, durability, encryption, versions and where every chunk's shards are (which cloud
// accounts and array members, and their health): the picture of what Cloudstrype does with a file.
import { h, mount } from "../dom.js";
import * as fmt from "../format.js";
import { readable } from "../api/errors.js";
import { get } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { cloud, array } from "../api/storage.js";
import { filesHref, parentPath } from "../routes.js";
import { owns, canWrite } from "../actions/access.js";
import { rename, move, trash } from "../actions/tree.js";
import { download, versions } from "../actions/file.js";
import { shareLink } from "../actions/sharing.js";

const PAGE = 50;

export async function detailsPage(main, route) {
  const page = h("section", { class: "page details-page", "aria-labelledby": "details-title" },
    h("p", { class: "muted" }, "Loading…"));
  mount(main, page);
  let node;
  try {
    node = await get(fs(`/info/${route.id}`));
  } catch (error) {
    mount(page, h("div", { class: "empty", role: "alert" }, h("p", {}, readable(error)), h("p", {}, h("a", { href: filesHref("/") }, "Back to my files"))));
    return;
  }
  if (node.kind === "dir") {
    location.replace(filesHref(node.path));
    return;
  }
  document.title = `${node.name} · Cloudstrype`;
  // The user's storage, to name the backends that hold shards (a grantee may not see the owner's).
  const [accounts, members] = await Promise.all([
    get(cloud("/accounts")).then((r) => r.items).catch(() => []),
    get(array("/members")).then((r) => r.items).catch(() => []),
  ]);
  const backends = new Map();
  for (const account of accounts) backends.set(`cloud:${account.id}`, { name: account.name, kind: "Cloud account", detail: account.bucket ? `${account.provider} · ${account.bucket}` : account.provider, healthy: account.health === "healthy", state: account.health });
  for (const member of members) backends.set(`array:${member.id}`, { name: member.name, kind: "Array member", detail: `${fmt.bytes(member.free)} free of ${fmt.bytes(member.capacity)}`, healthy: member.online, state: member.online ? "online" : "offline" });
  // Someone the file is shared with is not told which of the owner's backends hold it: one row per shard then.
  const shardKey = (shard) => shard.backend_id ? `${shard.backend}:${shard.backend_id}` : `${shard.backend}:shard-${shard.index}`;
  const backendOf = (shard) => {
    const kind = shard.backend === "cloud" ? "Cloud account" : "Array member";
    if (!shard.backend_id) return { name: `Shard ${shard.index + 1}`, kind, detail: "the owner's storage", healthy: null, state: "unknown" };
    return backends.get(shardKey(shard)) ||
      { name: `${kind} ${shard.backend_id.slice(0, 8)}`, kind, detail: "not one of yours", healthy: null, state: "unknown" };
  };

  const folder = parentPath(node.path);
  const refresh = () => detailsPage(main, route);
  const after = (promise) => promise.then((done) => {
    if (done) refresh();
  });
  const buttons = h("div", { class: "toolbar-actions details-actions" },
    h("button", { type: "button", class: "btn btn-primary", id: "details-download", onclick: () => download(node) }, "Download"),
    owns(node) ? h("button", { type: "button", class: "btn", id: "details-share", onclick: () => shareLink(node) }, "Share link") : null,
    h("button", { type: "button", class: "btn", onclick: () => versions(node, refresh) }, "Versions"),
    canWrite(node) ? h("button", { type: "button", class: "btn", onclick: () => after(rename(node)) }, "Rename") : null,
    owns(node) ? h("button", { type: "button", class: "btn", onclick: () => after(move(node)) }, "Move") : null,
    canWrite(node) ? h("button", {
      type: "button", class: "btn btn-danger",
      onclick: () => trash(node).then((done) => {
        if (done) location.hash = owns(node) ? filesHref(folder) : "#/shared";
      }),
    }, "Delete") : null);

  const facts = h("dl", { class: "facts", id: "file-facts" },
    fact("Size", `${fmt.bytes(node.size)} (${node.size.toLocaleString()} bytes)`),
    fact("SHA-256", h("code", { class: "hash", id: "file-sha256" }, node.sha256 || "—")),
    fact("Durability", [h("span", { class: "badge" }, node.durability || "—"), " ", fmt.durability(node.durability)]),
    fact("Encryption", [h("span", { class: `badge ${node.encryption === "none" ? "badge-warn" : "badge-ok"}` }, node.encryption || "—"), " ", fmt.encryption(node.encryption)]),
    fact("Version", String(node.version ?? "—")),
    fact("Type", node.content_type || "—"),
    fact("Modified", fmt.date(node.modified)),
    fact("Location", owns(node) ? h("a", { href: filesHref(folder) }, folder) : node.path));

  const summary = h("div", { class: "backend-cards", id: "shard-summary" });
  const chunksList = h("ol", { class: "chunk-list", id: "chunk-list" });
  const more = h("button", { type: "button", class: "btn", hidden: true }, "Show more chunks");
  const placementStatus = h("p", { class: "muted" }, "Finding the shards…");
  const explanation = h("p", { class: "explain" });

  mount(page,
    h("div", { class: "page-head" },
      h("nav", { class: "breadcrumb", "aria-label": "Folder path" }, h("ol", {},
        h("li", {}, owns(node) ? h("a", { href: filesHref(folder) }, folder === "/" ? "My files" : folder.split("/").pop()) : h("a", { href: "#/shared" }, "Shared with me")),
        h("li", {}, h("span", { "aria-current": "page" }, node.name)))),
      h("h1", { class: "page-title", id: "details-title" }, node.name)),
    buttons,
    h("div", { class: "details-grid" },
      h("section", { class: "card", "aria-labelledby": "facts-title" }, h("h2", { id: "facts-title" }, "About this file"), facts),
      h("section", { class: "card", "aria-labelledby": "where-title" },
        h("h2", { id: "where-title" }, "Where it is stored"),
        explanation,
        summary,
        placementStatus,
        h("h3", {}, "Chunks"),
        chunksList,
        more)));

  const seen = new Map();
  let offset = 0;
  let total = 0;
  let healthCounts = { healthy: 0, degraded: 0, unavailable: 0 };
  let inline = 0;

  async function loadChunks() {
    let page0;
    try {
      page0 = await get(fs(`/info/${node.id}/chunks`), { query: { limit: PAGE, offset } });
    } catch (error) {
      placementStatus.textContent = readable(error);
      placementStatus.setAttribute("role", "alert");
      return;
    }
    total = page0.total;
    offset += page0.items.length;
    for (const chunk of page0.items) {
      healthCounts[chunk.health || "healthy"] = (healthCounts[chunk.health || "healthy"] || 0) + 1;
      if (chunk.inline) inline += 1;
      for (const shard of chunk.shards) {
        const key = shardKey(shard);
        const entry = seen.get(key) || { backend: backendOf(shard), shards: 0, bytes: 0, lost: 0 };
        entry.shards += 1;
        entry.bytes += shard.size;
        if (shard.state !== "ok") entry.lost += 1;
        seen.set(key, entry);
      }
      chunksList.append(chunkItem(chunk, chunksList.children.length));
    }
    more.hidden = offset >= total;
    paintSummary();
  }

  function paintSummary() {
    const shown = offset < total ? ` (the first ${offset} of ${total} chunks)` : "";
    explanation.textContent = total === 0
      ? "This file is empty: there is nothing to store."
      : inline === total
      ? "This file is small, so Cloudstrype keeps it whole, encrypted, in the metadata database with the file's other details: no backend holds any of it, and it is as safe as that database."
      : `Cloudstrype cut this file into ${total} chunk${total === 1 ? "" : "s"}, ${node.encryption === "aes256-gcm" ? "encrypted each one, " : ""}and stored ${fmt.durability(node.durability)}. Its shards are on these ${seen.size} place${seen.size === 1 ? "" : "s"}${shown}:`;
    mount(summary, [...seen.values()].map(({ backend, shards, bytes, lost }) =>
      h("div", { class: "backend-card", dataset: { backend: backend.name } },
        h("div", { class: "backend-name" },
          h("span", { class: `dot ${backend.healthy === null ? "dot-unknown" : backend.healthy ? "dot-ok" : "dot-bad"}`, "aria-hidden": "true" }),
          h("strong", {}, backend.name)),
        h("div", { class: "muted small" }, `${backend.kind} · ${backend.state}`),
        h("div", { class: "small" }, `${shards} shard${shards === 1 ? "" : "s"} · ${fmt.bytes(bytes)}${lost ? ` · ${lost} lost` : ""}`))));
    const bad = (healthCounts.degraded || 0) + (healthCounts.unavailable || 0);
    placementStatus.removeAttribute("role");
    placementStatus.textContent = total === 0 || inline === total ? "" : bad === 0
      ? `All ${offset} chunk${offset === 1 ? "" : "s"} shown are healthy: every shard is in place.`
      : `${healthCounts.degraded || 0} chunk(s) degraded and ${healthCounts.unavailable || 0} unavailable; repair runs in the background.`;
    placementStatus.className = bad === 0 ? "health-line ok" : "health-line bad";
  }

  function chunkItem(chunk, index) {
    const health = chunk.health || "healthy";
    return h("li", { class: "chunk", dataset: { health } },
      h("div", { class: "chunk-head" },
        h("strong", {}, `Chunk ${index + 1}`),
        h("span", { class: "muted small" }, fmt.bytes(chunk.size)),
        chunk.inline
          ? h("span", { class: "badge badge-ok", dataset: { stored: "inline" } }, "in the metadata database")
          : h("span", { class: `badge ${health === "healthy" ? "badge-ok" : health === "degraded" ? "badge-warn" : "badge-bad"}` }, health)),
      h("ul", { class: "shard-list" }, chunk.shards.map((shard) => {
        const backend = backendOf(shard);
        return h("li", { class: "shard", dataset: { state: shard.state } },
          h("span", { class: "shard-index" }, `#${shard.index}`),
          h("span", { class: "shard-where" }, backend.name),
          h("span", { class: "muted small" }, `${backend.kind === "Cloud account" ? "cloud" : "member"} · ${fmt.bytes(shard.size)}`),
          h("span", { class: `badge ${shard.state === "ok" ? "badge-ok" : "badge-bad"}` }, shard.state));
      })));
  }

  more.addEventListener("click", loadChunks);
  await loadChunks();
}

function fact(term, value) {
  return h("div", { class: "fact" }, h("dt", {}, term), h("dd", {}, value));
}
