// The storage page's cloud accounts: the user's S3-compatible and Google Cloud Storage accounts with their health
// and use, removing one, and the forms that add one.
import { h, mount, uid } from "../../dom.js";
import * as fmt from "../../format.js";
import { readable } from "../../api/errors.js";
import { get, post, del } from "../../api/request.js";
import { cloud } from "../../api/storage.js";
import { confirmDialog, field, errorLine, showError, toast } from "../../ui.js";

/** Fills `el` with the user's cloud accounts (or with why they could not be read). */
export async function loadAccounts(el) {
  let items;
  try {
    ({ items } = await get(cloud("/accounts")));
  } catch (error) {
    mount(el, h("p", { class: "form-error", role: "alert" }, readable(error)));
    return;
  }
  if (items.length === 0) {
    mount(el, h("p", { class: "empty-line" }, "No cloud accounts yet."));
    return;
  }
  mount(el, h("ul", { class: "plain-list backend-list", id: "account-list" }, items.map((account) =>
    h("li", { class: "backend-row", dataset: { name: account.name, id: account.id } },
      h("div", { class: "backend-main" },
        h("div", { class: "backend-name" },
          h("span", { class: `dot ${account.health === "healthy" ? "dot-ok" : "dot-bad"}`, "aria-hidden": "true" }),
          h("strong", {}, account.name),
          h("span", { class: `badge ${account.health === "healthy" ? "badge-ok" : "badge-bad"}` }, account.health),
          account.shared ? h("span", { class: "badge" }, "shared") : null),
        h("div", { class: "muted small wrap-anywhere" },
          where(account)),
        h("div", { class: "small" }, `${fmt.bytes(account.used)} in ${account.objects.toLocaleString()} objects${account.capacity ? ` of ${fmt.bytes(account.capacity)}` : ""}`),
        account.health_reason ? h("div", { class: "small error-text" }, account.health_reason) : null),
      account.owned ? h("button", {
        type: "button", class: "btn btn-small btn-danger", "aria-label": `Remove account ${account.name}`,
        onclick: async () => {
          const done = await confirmDialog(`Remove “${account.name}”?`,
            "Cloudstrype stops using this account. Objects already in the bucket stay there; chunks that had shards on it are repaired onto your other storage.",
            { confirmLabel: "Remove", danger: true, run: () => del(cloud(`/accounts/${account.id}`)) });
          if (done) {
            toast(`Removed ${account.name}.`);
            await loadAccounts(el);
          }
        },
      }, "Remove") : null))));
}

/** Where an account keeps its objects, in a line. */
function where(account) {
  const place = `bucket ${account.bucket || ""}${account.prefix ? `/${account.prefix}` : ""}`;
  if (account.provider === "s3") return `${account.endpoint || ""} · ${place} · ${account.region || ""}`;
  if (account.provider === "gcs") return `Google Cloud Storage · ${place}`;
  return `server folder ${account.path || ""}`;
}

/** Sends `body` as a new account from `form`, telling the user while the server probes it. */
async function submitAccount(form, error, button, body, onAdded) {
  const label = button.textContent;
  button.disabled = true;
  button.textContent = "Checking the bucket…";
  try {
    const account = await post(cloud("/accounts"), body);
    form.reset();
    toast(`Added ${account.name}: the bucket answered.`);
    await onAdded();
    return true;
  } catch (failure) {
    showError(error, failure);
    if (failure.field && form.elements[failure.field]) form.elements[failure.field].focus();
    return false;
  } finally {
    button.disabled = false;
    button.textContent = label;
  }
}

/** The form that adds an S3-compatible account; `onAdded` runs once the server has checked and saved it. */
export function addAccountForm(onAdded) {
  const error = errorLine();
  const button = h("button", { type: "submit", class: "btn btn-primary" }, "Add account");
  const pathStyleId = uid("path-style");
  const form = h("form", {
    class: "account-form", id: "add-account", novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      showError(error, "");
      const value = (name) => form.elements[name].value.trim();
      const body = {
        provider: "s3", name: value("name"), endpoint: value("endpoint"), region: value("region"), bucket: value("bucket"),
        access_key_id: value("access_key_id"), secret_access_key: form.elements.secret_access_key.value,
        path_style: form.elements.path_style.checked,
      };
      if (value("prefix")) body.prefix = value("prefix");
      if (await submitAccount(form, error, button, body, onAdded)) form.elements.path_style.checked = true;
    },
  },
  h("h3", {}, "Add an S3-compatible account"),
  h("p", { class: "muted small" }, "Cloudstrype writes, reads back and deletes a small test object before saving the account."),
  h("div", { class: "form-grid" },
    field("Name", { name: "name", required: true, placeholder: "My bucket", autocomplete: "off" }),
    field("Endpoint", { name: "endpoint", type: "url", required: true, placeholder: "https://s3.eu-west-1.amazonaws.com", autocomplete: "off" }),
    field("Region", { name: "region", required: true, placeholder: "us-east-1", autocomplete: "off" }),
    field("Bucket", { name: "bucket", required: true, autocomplete: "off" }),
    field("Prefix (optional)", { name: "prefix", autocomplete: "off" }),
    field("Access key ID", { name: "access_key_id", required: true, autocomplete: "off", spellcheck: "false" }),
    field("Secret access key", { name: "secret_access_key", type: "password", required: true, autocomplete: "new-password" })),
  h("div", { class: "check" },
    h("input", { type: "checkbox", id: pathStyleId, name: "path_style", checked: true }),
    h("label", { for: pathStyleId }, "Path-style addressing (MinIO and most self-hosted servers)")),
  error,
  h("div", {}, button));
  return form;
}

/** The form that adds a Google Cloud Storage bucket with a service account's JSON key file, read in the browser and
 * sent once; the server seals it and never shows it again. */
export function addGCSAccountForm(onAdded) {
  const error = errorLine();
  const button = h("button", { type: "submit", class: "btn btn-primary" }, "Add bucket");
  const keyId = uid("gcs-key");
  const form = h("form", {
    class: "account-form", id: "add-gcs-account", novalidate: true,
    onsubmit: async (event) => {
      event.preventDefault();
      showError(error, "");
      const value = (name) => form.elements[name].value.trim();
      const file = form.elements.service_account_key.files[0];
      if (!file) {
        showError(error, "Choose the service account's JSON key file.");
        return;
      }
      const body = { provider: "gcs", name: value("name"), bucket: value("bucket"), service_account_key: await file.text() };
      if (value("prefix")) body.prefix = value("prefix");
      if (value("endpoint")) body.endpoint = value("endpoint");
      await submitAccount(form, error, button, body, onAdded);
    },
  },
  h("h3", {}, "Add a Google Cloud Storage bucket"),
  h("p", { class: "muted small" }, "A service account with the Storage Object Admin role on the bucket; its JSON key is kept encrypted."),
  h("div", { class: "form-grid" },
    field("Name", { name: "name", required: true, placeholder: "My GCS bucket", autocomplete: "off" }),
    field("Bucket", { name: "bucket", required: true, autocomplete: "off" }),
    field("Prefix (optional)", { name: "prefix", autocomplete: "off" }),
    h("div", { class: "field" },
      h("label", { for: keyId }, "Service account key (JSON)"),
      h("input", { id: keyId, type: "file", name: "service_account_key", accept: "application/json,.json", required: true }))),
  h("details", { class: "small" },
    h("summary", {}, "Another API endpoint"),
    field("API endpoint (a Cloud Storage emulator; empty for Google)", { name: "endpoint", type: "url", placeholder: "https://storage.googleapis.com", autocomplete: "off" })),
  error,
  h("div", {}, button));
  return form;
}
