// The anonymous page a share link opens (/s/<token>): what the link names, and its download.
import { h, mount } from "../dom.js";
import * as fmt from "../format.js";
import { readable } from "../api/errors.js";
import { get } from "../api/request.js";
import { fs } from "../api/filesystem.js";

export async function sharePage(main, token) {
  document.title = "Shared with you · Cloudstrype";
  const base = fs(`/s/${encodeURIComponent(token)}`);
  const card = h("section", { class: "card share-card", "aria-labelledby": "share-title" }, h("p", { class: "muted" }, "Loading…"));
  mount(main, h("div", { class: "share-page" },
    h("div", { class: "auth-brand" }, h("img", { src: "/favicon.svg", alt: "", width: "40", height: "40" }), h("span", {}, "Cloudstrype")),
    card,
    h("p", { class: "auth-tagline" }, "Shared through Cloudstrype: files encrypted and spread over storage their owner controls.")));
  let node;
  try {
    node = await get(`${base}/info`, { auth: false });
    // A folder answers 1000 entries at a time; `next` asks for the rest.
    while (node.next) {
      const more = await get(`${base}/info`, { auth: false, query: { cursor: node.next } });
      node.children = [...(node.children || []), ...(more.children || [])];
      node.next = more.next;
    }
  } catch (error) {
    mount(card, h("h1", { id: "share-title" }, "Link not available"),
      h("p", { role: "alert", id: "share-error" }, error.status === 404 ? "This link does not exist, has expired or was revoked." : readable(error)));
    return;
  }
  if (node.kind === "file") {
    document.title = `${node.name} · Cloudstrype`;
    mount(card,
      h("p", { class: "muted small" }, "Someone shared a file with you"),
      h("h1", { id: "share-title", class: "wrap-anywhere" }, node.name),
      h("dl", { class: "facts compact" },
        h("div", { class: "fact" }, h("dt", {}, "Size"), h("dd", {}, fmt.bytes(node.size))),
        h("div", { class: "fact" }, h("dt", {}, "Type"), h("dd", {}, node.content_type || "—")),
        h("div", { class: "fact" }, h("dt", {}, "Modified"), h("dd", {}, fmt.date(node.modified))),
        node.sha256 ? h("div", { class: "fact" }, h("dt", {}, "SHA-256"), h("dd", {}, h("code", { class: "hash" }, node.sha256))) : null),
      h("a", { class: "btn btn-primary btn-block", id: "share-download", href: base, download: node.name }, `Download ${fmt.bytes(node.size)}`));
    return;
  }
  document.title = `${node.name} · Cloudstrype`;
  const children = node.children || [];
  mount(card,
    h("p", { class: "muted small" }, "Someone shared a folder with you"),
    h("h1", { id: "share-title", class: "wrap-anywhere" }, node.name),
    children.length === 0 ? h("p", { class: "muted" }, "This folder is empty.") :
      h("ul", { class: "plain-list share-list" }, children.map((child) =>
        h("li", { class: "share-entry", dataset: { name: child.name } },
          h("span", { class: `file-icon ${child.kind === "dir" ? "icon-dir" : "icon-file"}`, "aria-hidden": "true" }),
          h("span", { class: "name-text wrap-anywhere" }, child.name,
            h("span", { class: "muted small" }, child.kind === "dir" ? " · folder" : ` · ${fmt.bytes(child.size)}`)),
          child.kind === "file"
            ? h("a", { class: "btn btn-small", href: `${base}/files/${child.id}`, download: child.name, "aria-label": `Download ${child.name}` }, "Download")
            : null))));
}
