// What the tus client keeps of each upload in localStorage, by fingerprint (file and destination), so that a reload
// or a closed tab can resume it: its Location, name, size, offset and destination.

const STORE_PREFIX = "cloudstrype.tus.";

/** Where an upload goes: `{path: "/docs/"}` (a folder of one's own) or `{parent: id}` (e.g. a shared folder). */
function destinationKey(destination) {
  return destination.parent ? `parent:${destination.parent}` : `path:${destination.path}`;
}

export function fingerprint(file, destination) {
  return [file.name, file.size, file.lastModified, destinationKey(destination)].join("|");
}

export function remember(key, record) {
  try {
    localStorage.setItem(STORE_PREFIX + key, JSON.stringify(record));
  } catch {
    // Storage full or refused: the upload still works, it just will not resume after a reload.
  }
}

export function recall(key) {
  try {
    return JSON.parse(localStorage.getItem(STORE_PREFIX + key) || "null");
  } catch {
    return null;
  }
}

export function forget(key) {
  localStorage.removeItem(STORE_PREFIX + key);
}

/** Uploads left unfinished by an earlier page (a reload, a closed tab): choose the same file again to resume. */
export function unfinishedUploads() {
  const found = [];
  for (let i = 0; i < localStorage.length; i += 1) {
    const key = localStorage.key(i);
    if (!key || !key.startsWith(STORE_PREFIX)) continue;
    const record = recall(key.slice(STORE_PREFIX.length));
    if (record) found.push({ key: key.slice(STORE_PREFIX.length), ...record });
  }
  return found.sort((a, b) => (a.saved < b.saved ? 1 : -1));
}
