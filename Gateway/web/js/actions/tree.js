// What can be done to a file's or folder's place in the tree, as dialogs shared by the browser and the details
// page: rename, move (with its folder picker) and delete to the trash.
import { h, uid } from "../dom.js";
import { ApiError } from "../api/errors.js";
import { get, post, del } from "../api/request.js";
import { fs, whole } from "../api/filesystem.js";
import { formDialog, confirmDialog, field, toast, toastError } from "../ui.js";

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
