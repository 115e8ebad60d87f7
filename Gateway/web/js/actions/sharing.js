// Sharing a file or folder, as dialogs shared by the browser and the details page: share links (anyone with the
// URL) and folder grants (named users and groups).
import { h, mount, uid } from "../dom.js";
import * as fmt from "../format.js";
import { get, post, del } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { dialog, toast, errorLine, showError, copyText } from "../ui.js";

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
