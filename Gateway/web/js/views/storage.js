// The storage page: usage against quota (a chart), the storage policy for new files, the user's cloud accounts
// (add an S3-compatible or Google Cloud Storage one, remove), array members with online state, capacity and free space, and how to install
// and register the desktop agent. Its sections are in views/storage/.
import { h, mount } from "../dom.js";
import { loadUsage } from "./storage/usage.js";
import { loadPolicy } from "./storage/policy.js";
import { loadAccounts, addAccountForm, addGCSAccountForm } from "./storage/accounts.js";
import { loadMembers, agentHelp } from "./storage/members.js";

export async function storagePage(main) {
  document.title = "Storage · Cloudstrype";
  const usage = h("div", { class: "usage", id: "usage" }, h("p", { class: "muted" }, "Loading…"));
  const policy = h("div", { id: "policy" });
  const accounts = h("div", { id: "accounts" }, h("p", { class: "muted" }, "Loading…"));
  const members = h("div", { id: "members" }, h("p", { class: "muted" }, "Loading…"));
  mount(main, h("section", { class: "page storage-page", "aria-labelledby": "storage-title" },
    h("div", { class: "page-head" }, h("h1", { class: "page-title", id: "storage-title" }, "Storage")),
    h("div", { class: "storage-grid" },
      h("section", { class: "card", "aria-labelledby": "usage-title" }, h("h2", { id: "usage-title" }, "Usage"), usage),
      h("section", { class: "card", "aria-labelledby": "policy-title" }, h("h2", { id: "policy-title" }, "New files are stored"), policy)),
    h("section", { class: "card", "aria-labelledby": "accounts-title" },
      h("h2", { id: "accounts-title" }, "Cloud accounts"),
      h("p", { class: "muted" }, "S3-compatible buckets (AWS, MinIO, Backblaze B2, Wasabi…) and Google Cloud Storage buckets that hold encrypted shards of your files."),
      accounts,
      addAccountForm(() => loadAccounts(accounts)),
      addGCSAccountForm(() => loadAccounts(accounts))),
    h("section", { class: "card", "aria-labelledby": "members-title" },
      h("h2", { id: "members-title" }, "Array members"),
      h("p", { class: "muted" }, "Computers that donate disk space through the Cloudstrype agent."),
      members,
      agentHelp())));
  await Promise.all([loadUsage(usage), loadPolicy(policy), loadAccounts(accounts), loadMembers(members)]);
}
