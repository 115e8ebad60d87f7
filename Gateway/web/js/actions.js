// What can be done to a file or folder, as dialogs shared by the browser and the details page: rename, move,
// delete, versions, download, share links and folder grants.
import { h, mount, uid } from "./dom.js";
import * as fmt from "./format.js";
import { ApiError, readable } from "./api/errors.js";
import { get, post, del } from "./api/request.js";
import { fs, whole } from "./api/filesystem.js";
import { dialog, formDialog, confirmDialog, field, toast, toastError, errorLine, showError, copyText } from "./ui.js";

/** Whether the signed-in user owns the node (grantees see `access`). */
export const owns = (node) => !node.access;
export const canWrite = (node) => !node.access || node.access === "read-write";

export async function rename(node) {
  const input = field("New name", { name: "name", value: node.name, required: true, autocomplete: "off" });
  const done = await formDialog(`Rename ${node.kind === "dir" ? "folder" : "file"}`, {
    fields: [input],
    submitLabel: "Rename",
    submit: async (form) => {
      const name = form.elements.name.value.trim();
      if (!name) throw new ApiError(400, "invalid_field", "Enter a name.");
      return post(fs(`/info/${node.id}`), { name });
    },
  });
  if (done) toast(`Renamed to ${done.name}.`);
  return done;
}

/** The folders of the user's tree, flattened with depth, for the move picker. */
async function folderTree() {
  const root = await whole(await get(fs("/info"), { query: { path: "/", depth: 8 } }), 8);
  const out = [];
  const visit = (node, depth) => {
    out.push({ node, depth });
    for (const child of node.children || []) if (child.kind === "dir") visit(child, depth + 1);
  };
  visit(root, 0);
  return out;
}

export async function move(node) {
  let folders;
  try {
    folders = await folderTree();
  } catch (error) {
    toastError(error);
    return null;
  }
  const parentPath = node.path.slice(0, node.path.lastIndexOf("/")) || "/";
  const inside = (path) => path === node.path || path.startsWith(`${node.path}/`);
  const name = uid("move");
  const options = folders.map(({ node: folder, depth }) => {
    const id = uid("folder");
    const disabled = (node.kind === "dir" && inside(folder.path)) || folder.path === parentPath;
    return h("li", { class: "folder-option", style: { paddingInlineStart: `${depth * 1.1 + 0.25}rem` } },
      h("input", { type: "radio", name, id, value: folder.id, disabled, dataset: { path: folder.path } }),
      h("label", { for: id, class: disabled ? "muted" : "" }, depth === 0 ? "My files" : folder.name,
        folder.path === parentPath ? h("span", { class: "muted" }, " (current)") : null));
  });
  const done = await formDialog(`Move “${node.name}”`, {
    fields: [h("fieldset", { class: "folder-picker" },
      h("legend", {}, "Choose a folder"),
      h("ul", { class: "plain-list" }, options))],
    submitLabel: "Move here",
    submit: async (form) => {
      const chosen = form.querySelector(`input[name="${name}"]:checked`);
      if (!chosen) throw new ApiError(400, "invalid_field", "Choose a folder.");
      return post(fs(`/info/${node.id}/move`), { parent_id: chosen.value });
    },
  });
  if (done) toast(`Moved to ${done.path.slice(0, done.path.lastIndexOf("/")) || "/"}.`);
  return done;
}

export async function trash(node) {
  const done = await confirmDialog(`Delete “${node.name}”?`,
    `${node.kind === "dir" ? "The folder and everything in it go" : "It goes"} to the trash, where you can restore it.`,
    { confirmLabel: "Move to trash", danger: true, run: () => del(fs(`/info/${node.id}`)) });
  if (done) toast(`Moved “${node.name}” to the trash.`);
  return done;
}

/**
 * Saves a file: the server gives a short-lived download URL that needs no token, and the browser streams it
 * straight to disk with its own download manager (nothing of the file is held in the page).
 */
export async function download(node) {
  try {
    const ticket = await post(fs(`/info/${node.id}/download`));
    const link = h("a", { href: ticket.url, download: node.name, hidden: true });
    document.body.append(link);
    link.click();
    link.remove();
    toast(`Downloading ${node.name}: your browser shows its progress.`);
  } catch (error) {
    toastError(error);
  }
}

export async function versions(node, onChange) {
  await dialog(`Versions of “${node.name}”`, () => {
    const list = h("div", { class: "versions" }, h("p", { class: "muted" }, "Loading…"));
    const error = errorLine();
    const load = async () => {
      try {
        const { items } = await get(fs(`/info/${node.id}/versions`));
        mount(list, h("ul", { class: "plain-list version-list" }, items.map((version) =>
          h("li", { class: "version", dataset: { version: String(version.version) } },
            h("div", { class: "version-main" },
              h("strong", {}, `Version ${version.version}`),
              version.current ? h("span", { class: "badge badge-ok" }, "current") : null,
              h("div", { class: "muted small" }, `${fmt.date(version.created)} · ${fmt.bytes(version.size)} · SHA-256 ${version.sha256.slice(0, 12)}…`)),
            version.current || !canWrite(node) ? null : h("button", {
              type: "button", class: "btn btn-small",
              onclick: async () => {
                try {
                  await post(fs(`/info/${node.id}/versions/${version.version}/restore`));
                  toast(`Version ${version.version} restored as the current version.`);
                  onChange?.();
                  await load();
                } catch (failure) {
                  showError(error, failure);
                }
              },
            }, "Restore")))));
      } catch (failure) {
        mount(list);
        showError(error, failure);
      }
    };
    load();
    return h("div", { class: "stack" }, list, error);
  });
}

const EXPIRIES = [
  ["3600", "1 hour"], ["86400", "1 day"], ["604800", "7 days"], ["2592000", "30 days"], ["", "Never (until revoked)"],
];

/** Share links: create one with an expiry, copy it, revoke live ones. The URL opens this client's download page. */
export async function shareLink(node) {
  await dialog(`Share “${node.name}”`, () => {
    const error = errorLine();
    const links = h("ul", { class: "plain-list link-list" });
    const created = h("div", { class: "created-link", hidden: true });
    const expiryId = uid("expiry");
    const expiry = h("select", { id: expiryId, name: "expires" },
      EXPIRIES.map(([value, label]) => h("option", { value, selected: value === "604800" }, label)));
    const loadLinks = async () => {
      try {
        const { items } = await get(fs(`/info/${node.id}/links`));
        mount(links, items.length === 0 ? h("li", { class: "muted" }, "No live links.") : items.map((link) =>
          h("li", { class: "link-row", dataset: { link: link.id } },
            h("span", {}, `Created ${fmt.date(link.created)}`, h("br"),
              h("span", { class: "muted small" }, link.expires ? `Expires ${fmt.date(link.expires)} (${fmt.relative(link.expires)})` : "Never expires")),
            h("button", {
              type: "button", class: "btn btn-small btn-danger", "aria-label": `Revoke link created ${fmt.date(link.created)}`,
              onclick: async () => {
                try {
                  await del(fs(`/info/${node.id}/links/${link.id}`));
                  toast("Link revoked; it no longer works.");
                  created.hidden = true;
                  await loadLinks();
                } catch (failure) {
                  showError(error, failure);
                }
              },
            }, "Revoke"))));
      } catch (failure) {
        showError(error, failure);
      }
    };
    const form = h("form", {
      class: "share-form",
      onsubmit: async (event) => {
        event.preventDefault();
        showError(error, "");
        try {
          const body = expiry.value ? { expires_in: Number(expiry.value) } : {};
          const link = await post(fs(`/info/${node.id}/links`), body);
          const url = `${location.origin}/s/${encodeURIComponent(link.token)}`;
          const input = h("input", { type: "text", readonly: true, value: url, id: "share-url", "aria-label": "Share link", onfocus: (e) => e.target.select() });
          const status = h("span", { class: "copy-status", role: "status" });
          mount(created,
            h("p", {}, "Anyone with this link can download it", link.expires ? ` until ${fmt.date(link.expires)}` : "", ". It is shown only now: copy it."),
            h("div", { class: "copy-row" }, input,
              h("button", {
                type: "button", class: "btn btn-primary", id: "copy-link",
                onclick: async () => {
                  status.textContent = (await copyText(url, input)) ? "Copied." : "Select the link and copy it.";
                },
              }, "Copy")),
            status);
          created.hidden = false;
          input.focus();
          await loadLinks();
        } catch (failure) {
          showError(error, failure);
        }
      },
    },
    h("div", { class: "inline-fields" },
      h("div", { class: "field" }, h("label", { for: expiryId }, "Link expires after"), expiry),
      h("button", { type: "submit", class: "btn btn-primary" }, "Create link")));
    loadLinks();
    return h("div", { class: "stack" }, form, created, error, h("h3", {}, "Live links"), links);
  }, { wide: true });
}

/** Folder grants: share a folder with a user (email) or a group, read or read-write; revoke. */
export async function grants(folder) {
  await dialog(`Share “${folder.name}” with people`, () => {
    const error = errorLine();
    const list = h("ul", { class: "plain-list link-list" });
    const load = async () => {
      try {
        const { items } = await get(fs(`/info/${folder.id}/grants`));
        mount(list, items.length === 0 ? h("li", { class: "muted" }, "Not shared with anyone yet.") : items.map((grant) =>
          h("li", { class: "link-row", dataset: { grant: grant.id } },
            h("span", {}, h("strong", {}, grant.grantee.name), " ",
              h("span", { class: "muted small" }, `${grant.grantee.kind === "group" ? "group" : "user"} · ${grant.access === "read" ? "can view" : "can edit"}`)),
            h("button", {
              type: "button", class: "btn btn-small btn-danger", "aria-label": `Stop sharing with ${grant.grantee.name}`,
              onclick: async () => {
                try {
                  await del(fs(`/info/${folder.id}/grants/${grant.id}`));
                  await load();
                } catch (failure) {
                  showError(error, failure);
                }
              },
            }, "Remove"))));
      } catch (failure) {
        showError(error, failure);
      }
    };
    const kindId = uid("kind");
    const accessId = uid("access");
    const whoId = uid("who");
    const form = h("form", {
      class: "stack",
      onsubmit: async (event) => {
        event.preventDefault();
        showError(error, "");
        const who = form.elements.who.value.trim();
        const body = { access: form.elements.access.value };
        body[form.elements.kind.value] = who;
        try {
          await post(fs(`/info/${folder.id}/grants`), body);
          form.elements.who.value = "";
          toast(`Shared with ${who}.`);
          await load();
        } catch (failure) {
          showError(error, failure);
        }
      },
    },
    h("div", { class: "inline-fields" },
      h("div", { class: "field" }, h("label", { for: kindId }, "Share with"),
        h("select", { id: kindId, name: "kind" }, h("option", { value: "user" }, "a user (email)"), h("option", { value: "group" }, "a group (name)"))),
      h("div", { class: "field grow" }, h("label", { for: whoId }, "Email or group name"),
        h("input", { id: whoId, name: "who", required: true, autocomplete: "off" })),
      h("div", { class: "field" }, h("label", { for: accessId }, "Access"),
        h("select", { id: accessId, name: "access" }, h("option", { value: "read" }, "Can view"), h("option", { value: "read-write" }, "Can edit")))),
    h("div", {}, h("button", { type: "submit", class: "btn btn-primary" }, "Share")));
    load();
    return h("div", { class: "stack" }, form, error, h("h3", {}, "Shared with"), list);
  }, { wide: true });
}

export { readable };
