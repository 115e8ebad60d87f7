// The file browser's breadcrumb and title: the path from My files, or for a shared folder the folders it was opened
// from.
import { h, mount } from "../../dom.js";
import { filesHref, sharedFolderHref } from "../../routes.js";

// Which folder a shared folder was opened from, to draw its breadcrumb (ids are all a grantee has).
const sharedParents = new Map();

/** Remembers that the shared folder `id` was opened from `parent` ({id, name}). */
export function rememberParent(id, parent) {
  sharedParents.set(id, parent);
}

/** Draws the breadcrumb of `node` into `crumbs`, its name into `heading` and the document's title. */
export function showBreadcrumb(crumbs, heading, node, sharedRoot) {
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
