// Folders other users shared with me (grants), opened by id in the file browser.
import { h, mount } from "../dom.js";
import * as fmt from "../format.js";
import { readable } from "../api/errors.js";
import { get } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { sharedFolderHref } from "../routes.js";

export async function sharedPage(main) {
  document.title = "Shared with me · Cloudstrype";
  const list = h("div", { class: "listing", id: "shared-list" }, h("p", { class: "muted" }, "Loading…"));
  mount(main, h("section", { class: "page", "aria-labelledby": "shared-title" },
    h("div", { class: "page-head" }, h("h1", { class: "page-title", id: "shared-title" }, "Shared with me")),
    list));
  let items;
  try {
    ({ items } = await get(fs("/shared")));
  } catch (error) {
    mount(list, h("p", { role: "alert", class: "form-error" }, readable(error)));
    return;
  }
  if (items.length === 0) {
    mount(list, h("div", { class: "empty" }, h("p", { class: "empty-title" }, "Nothing is shared with you yet."),
      h("p", { class: "muted" }, "When someone shares a folder with you or your group, it shows up here.")));
    return;
  }
  mount(list, h("ul", { class: "plain-list card-list" }, items.filter((grant) => grant.node).map((grant) =>
    h("li", { class: "card shared-card", dataset: { name: grant.node.name } },
      h("span", { class: "file-icon icon-dir", "aria-hidden": "true" }),
      h("div", { class: "name-text" },
        h("a", { href: sharedFolderHref(grant.node.id), class: "entry-link" }, grant.node.name),
        h("div", { class: "muted small" },
          `${grant.access === "read" ? "You can view" : "You can view and edit"} · via ${grant.grantee.kind === "group" ? `group ${grant.grantee.name}` : "you"} · since ${fmt.date(grant.created)}`))))));
}
