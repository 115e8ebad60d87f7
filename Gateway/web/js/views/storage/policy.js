// The storage page's policy section: the durability and encryption new files are stored with, to read and change.
import { h, mount, uid } from "../../dom.js";
import * as fmt from "../../format.js";
import { readable } from "../../api/errors.js";
import { get, put } from "../../api/request.js";
import { fs } from "../../api/filesystem.js";
import { errorLine, showError } from "../../ui.js";

const DURABILITIES = ["raid1(2)", "raid1(3)", "rs(2,1)", "rs(4,2)", "rs(6,3)", "raid1(1)", "none"];

/** Fills `el` with the form for the storage policy of new files (or with why it could not be read). */
export async function loadPolicy(el) {
  let settings;
  try {
    settings = await get(fs("/settings"));
  } catch (error) {
    mount(el, h("p", { class: "form-error", role: "alert" }, readable(error)));
    return;
  }
  const durabilityId = uid("durability");
  const encryptionId = uid("encryption");
  const options = DURABILITIES.includes(settings.durability) ? DURABILITIES : [settings.durability, ...DURABILITIES];
  const explain = h("p", { class: "muted small", id: `${durabilityId}-hint` }, fmt.durability(settings.durability));
  const durability = h("select", { id: durabilityId, name: "durability", "aria-describedby": `${durabilityId}-hint` },
    options.map((value) => h("option", { value, selected: value === settings.durability }, value)));
  durability.addEventListener("change", () => {
    explain.textContent = fmt.durability(durability.value);
  });
  const encryption = h("select", { id: encryptionId, name: "encryption" },
    ["aes256-gcm", "none"].map((value) => h("option", { value, selected: value === settings.encryption }, value === "none" ? "none (not encrypted)" : value)));
  const error = errorLine();
  const saved = h("span", { class: "muted small", role: "status" });
  const form = h("form", {
    class: "stack",
    onsubmit: async (event) => {
      event.preventDefault();
      showError(error, "");
      saved.textContent = "";
      try {
        const now = await put(fs("/settings"), { durability: durability.value, encryption: encryption.value });
        saved.textContent = `Saved: ${now.durability}, ${now.encryption}.`;
      } catch (failure) {
        showError(error, failure);
      }
    },
  },
  h("div", { class: "field" }, h("label", { for: durabilityId }, "Durability"), durability, explain),
  h("div", { class: "field" }, h("label", { for: encryptionId }, "Encryption"), encryption),
  error,
  h("div", { class: "row-actions" }, h("button", { type: "submit", class: "btn" }, "Save"), saved));
  mount(el, form);
}
