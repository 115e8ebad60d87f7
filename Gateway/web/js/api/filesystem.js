// The filesystem service: its routes under /api/filesystem, and listings read whole across their pages.
import { get } from "./request.js";

/** Shortcuts for the filesystem service. */
export const fs = (path) => `/api/filesystem${path}`;

/**
 * A listing (GET /info) with every page of it: the server answers at most 1000 entries at a time and marks each
 * folder with entries left out with `next`; this asks for the rest, by id, until no folder has `next`.
 * `depth` is the depth the first answer was asked for.
 */
export async function whole(node, depth) {
  const pending = [[node, depth]];
  while (pending.length > 0) {
    const [folder, left] = pending.pop();
    while (folder.next) {
      const more = await get(fs(`/info/${folder.id}`), { query: { depth: left, cursor: folder.next } });
      folder.children = [...(folder.children || []), ...(more.children || [])];
      folder.next = more.next;
    }
    delete folder.next;
    if (left > 1) for (const child of folder.children || []) if (child.kind === "dir") pending.push([child, left - 1]);
  }
  return node;
}
