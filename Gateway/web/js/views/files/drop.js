// Drag and drop onto the file browser: files and folders dropped anywhere on the page go up into the folder on
// screen, with an overlay while they are dragged over it.
import { h } from "../../dom.js";
import { toastError } from "../../ui.js";
import { canWrite } from "../../actions/access.js";
import { dropEntries, uploadDrop } from "../../uploads/folders.js";
import { destinationOf } from "./destination.js";

/** The overlay the page shows while files are dragged over it. */
export const dropOverlay = () => h("div", { class: "drop-overlay", "aria-hidden": "true" }, h("p", {}, "Drop files or folders to upload them here"));

/** Takes drops on `page` into `view`'s folder (its node and sharedRoot), then has the listing reloaded. */
export function acceptDrops(page, view) {
  let depth = 0;
  page.addEventListener("dragenter", (event) => {
    if (!event.dataTransfer?.types?.includes("Files") || !canWrite(view.node || {})) return;
    event.preventDefault();
    depth += 1;
    page.classList.add("dragging");
  });
  page.addEventListener("dragover", (event) => {
    if (!event.dataTransfer?.types?.includes("Files")) return;
    event.preventDefault();
    event.dataTransfer.dropEffect = "copy";
  });
  page.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) page.classList.remove("dragging");
  });
  page.addEventListener("drop", async (event) => {
    event.preventDefault();
    depth = 0;
    page.classList.remove("dragging");
    if (!view.node || !canWrite(view.node)) return;
    const drop = dropEntries(event.dataTransfer);
    try {
      const made = await uploadDrop(drop, destinationOf(view.node, view.sharedRoot));
      if (made) view.scheduleReload();
    } catch (error) {
      toastError(error);
    }
  });
}
