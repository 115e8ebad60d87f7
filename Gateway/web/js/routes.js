// The client's addresses: hash routes for signed-in pages, /s/<token> for the anonymous share page.

export function filesHref(path = "/") {
  const segments = path.split("/").filter(Boolean).map(encodeURIComponent);
  return `#/files/${segments.join("/")}`;
}

export const detailsHref = (id) => `#/file/${id}`;
export const sharedFolderHref = (id) => `#/shared/${id}`;

/** The route in the address: {page, path?, id?}. */
export function parseRoute(hash = location.hash) {
  const route = hash.replace(/^#\/?/, "");
  const [page, ...rest] = route.split("/");
  switch (page) {
    case "":
    case "files": {
      let path;
      try {
        path = `/${rest.filter(Boolean).map(decodeURIComponent).join("/")}`;
      } catch {
        path = "/";
      }
      return { page: "files", path };
    }
    case "file":
      return { page: "details", id: rest[0] || "" };
    case "shared":
      return rest[0] ? { page: "files", shared: rest[0] } : { page: "shared" };
    case "trash":
    case "storage":
    case "signin":
    case "signup":
      return { page };
    default:
      return { page: "notfound" };
  }
}

/** The parent folder's path of a path. */
export function parentPath(path) {
  const cut = path.lastIndexOf("/");
  return cut <= 0 ? "/" : path.slice(0, cut);
}
