// Where the folder on screen takes uploads and new folders: by path for one's own folders, by id for a shared one.

export const folderSlash = (path) => (path.endsWith("/") ? path : `${path}/`);

/** Where uploads and new folders go for the folder on screen. */
export function destinationOf(node, sharedRoot) {
  if (sharedRoot) return { parent: node.id, label: `shared ${node.path}` };
  return { path: folderSlash(node.path), label: node.path };
}
