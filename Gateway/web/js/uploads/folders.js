// Uploads of what was dropped or chosen with a folder input: dropped folders are walked, folders are created (parents
// first) before their files are queued into them.
import { post } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { addFiles } from "./queue.js";

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
