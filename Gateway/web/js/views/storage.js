// The storage page: usage against quota (a chart), the storage policy for new files, the user's cloud accounts
// (add an S3-compatible one, remove), array members with online state, capacity and free space, and how to install
// and register the desktop agent.
import { h, svg, mount, uid } from "../dom.js";
import * as fmt from "../format.js";
import { readable } from "../api/errors.js";
import { currentUser } from "../api/session.js";
import { get, post, put, del } from "../api/request.js";
import { fs } from "../api/filesystem.js";
import { cloud, array } from "../api/storage.js";
import { confirmDialog, field, errorLine, showError, toast, copyText } from "../ui.js";

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
      h("p", { class: "muted" }, "S3-compatible buckets (AWS, MinIO, Backblaze B2, Wasabi…) that hold encrypted shards of your files."),
      accounts,
      addAccountForm(() => loadAccounts(accounts))),
    h("section", { class: "card", "aria-labelledby": "members-title" },
      h("h2", { id: "members-title" }, "Array members"),
      h("p", { class: "muted" }, "Computers that donate disk space through the Cloudstrype agent."),
      members,
      agentHelp())));
  await Promise.all([loadUsage(usage), loadPolicy(policy), loadAccounts(accounts), loadMembers(members)]);
}

async function loadUsage(el) {
  let data;
  try {
    data = await get(fs("/usage"));
  } catch (error) {
    mount(el, h("p", { class: "form-error", role: "alert" }, readable(error)));
    return;
  }
  const pct = data.quota ? fmt.percent(data.bytes, data.quota) : null;
  const radius = 52;
  const circumference = 2 * Math.PI * radius;
  const filled = pct == null ? 0 : (pct / 100) * circumference;
  const level = pct == null ? "" : pct >= 90 ? "bad" : pct >= 75 ? "warn" : "ok";
  const chart = svg("svg", { viewBox: "0 0 128 128", class: "usage-ring", role: "img", "aria-labelledby": "usage-chart-label" },
    svg("title", { id: "usage-chart-label" }, pct == null ? `${fmt.bytes(data.bytes)} used, no quota` : `${Math.round(pct)}% of your quota used`),
    svg("circle", { cx: 64, cy: 64, r: radius, class: "ring-track" }),
    filled > 0 ? svg("circle", {
      cx: 64, cy: 64, r: radius, class: `ring-fill ${level}`,
      "stroke-dasharray": `${filled} ${circumference}`, transform: "rotate(-90 64 64)",
    }) : null,
    svg("text", { x: 64, y: 62, class: "ring-big", "text-anchor": "middle" }, pct == null ? fmt.bytes(data.bytes) : `${Math.round(pct)}%`),
    svg("text", { x: 64, y: 82, class: "ring-small", "text-anchor": "middle" }, pct == null ? "no quota" : "of quota"));
  mount(el, chart, h("dl", { class: "facts compact" },
    h("div", { class: "fact" }, h("dt", {}, "Used"), h("dd", { id: "usage-bytes" }, fmt.bytes(data.bytes))),
    h("div", { class: "fact" }, h("dt", {}, "Quota"), h("dd", { id: "usage-quota" }, data.quota == null ? "None set" : fmt.bytes(data.quota))),
    data.quota == null ? null : h("div", { class: "fact" }, h("dt", {}, "Left"), h("dd", {}, fmt.bytes(Math.max(0, data.quota - data.bytes)))),
    h("div", { class: "fact" }, h("dt", {}, "Files"), h("dd", {}, data.files.toLocaleString()))),
    h("p", { class: "muted small usage-note" }, pct == null
      ? "No quota is set for you: you can store as much as your storage holds. Counts every version and the trash, each chunk once, before redundancy."
      : "Counts every version and the trash, each chunk once, before redundancy."));
}

const DURABILITIES = ["raid1(2)", "raid1(3)", "rs(2,1)", "rs(4,2)", "rs(6,3)", "raid1(1)", "none"];

async function loadPolicy(el) {
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

async function loadAccounts(el) {
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
          account.provider === "s3" ? `${account.endpoint || ""} · bucket ${account.bucket || ""}${account.prefix ? `/${account.prefix}` : ""} · ${account.region || ""}` : `server folder ${account.path || ""}`),
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

function addAccountForm(onAdded) {
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
      button.disabled = true;
      button.textContent = "Checking the bucket…";
      try {
        const account = await post(cloud("/accounts"), body);
        form.reset();
        form.elements.path_style.checked = true;
        toast(`Added ${account.name}: the bucket answered.`);
        await onAdded();
      } catch (failure) {
        showError(error, failure);
        if (failure.field && form.elements[failure.field]) form.elements[failure.field].focus();
      } finally {
        button.disabled = false;
        button.textContent = "Add account";
      }
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

async function loadMembers(el) {
  let items;
  try {
    ({ items } = await get(array("/members")));
  } catch (error) {
    mount(el, h("p", { class: "form-error", role: "alert" }, readable(error)));
    return;
  }
  if (items.length === 0) {
    mount(el, h("p", { class: "empty-line" }, "No members yet. Install the agent on a computer with spare disk (below)."));
    return;
  }
  mount(el, h("ul", { class: "plain-list backend-list", id: "member-list" }, items.map((member) => {
    const used = Math.max(0, member.capacity - member.free);
    const pct = fmt.percent(used, member.capacity);
    return h("li", { class: "backend-row", dataset: { name: member.name, id: member.id, online: String(member.online) } },
      h("div", { class: "backend-main" },
        h("div", { class: "backend-name" },
          h("span", { class: `dot ${member.online ? "dot-ok" : "dot-bad"}`, "aria-hidden": "true" }),
          h("strong", {}, member.name),
          h("span", { class: `badge ${member.online ? "badge-ok" : "badge-bad"} member-state` }, member.online ? "online" : "offline"),
          member.shared ? h("span", { class: "badge" }, "shared") : null),
        h("div", { class: "meter", role: "img", "aria-label": `${fmt.bytes(used)} used of ${fmt.bytes(member.capacity)}` },
          h("span", { class: "meter-fill", style: { width: `${pct}%` } })),
        h("div", { class: "small member-space" }, `${fmt.bytes(member.free)} free of ${fmt.bytes(member.capacity)} · ${member.objects.toLocaleString()} objects`),
        h("div", { class: "muted small" },
          member.online ? `Agent ${member.version || ""}`.trim() : `Last seen ${member.last_seen ? `${fmt.date(member.last_seen)} (${fmt.relative(member.last_seen)})` : "never"}`)),
      member.owner_id === currentUser()?.id ? h("button", {
        type: "button", class: "btn btn-small btn-danger", "aria-label": `Remove member ${member.name}`,
        onclick: async () => {
          const done = await confirmDialog(`Remove “${member.name}”?`,
            "The agent is disconnected and its token stops working. Chunks with shards on it are repaired onto your other storage.",
            { confirmLabel: "Remove", danger: true, run: () => del(array(`/members/${member.id}`)) });
          if (done) {
            toast(`Removed ${member.name}.`);
            await loadMembers(el);
          }
        },
      }, "Remove") : null);
  })));
}

function agentHelp() {
  const nameId = uid("agent-name");
  const name = h("input", { id: nameId, value: "my-laptop", autocomplete: "off", spellcheck: "false" });
  const config = "~/.config/cloudstrype/agent.json";
  const register = h("code", { id: "agent-register" });
  const run = h("code", { id: "agent-run" });
  const quote = (text) => (/^[A-Za-z0-9._@:/~-]+$/.test(text) ? text : `'${text.replaceAll("'", "'\\''")}'`);
  const paint = () => {
    register.textContent = `cloudstrype-agent register --server ${location.origin} --name ${quote(name.value.trim() || "my-laptop")} --config ${config}`;
    run.textContent = `cloudstrype-agent run --dir ~/cloudstrype-data --capacity 100GB --config ${config}`;
  };
  name.addEventListener("input", paint);
  paint();
  const copy = (code) => {
    const status = h("span", { class: "muted small", role: "status" });
    return [h("button", {
      type: "button", class: "btn btn-small",
      onclick: async () => {
        status.textContent = (await copyText(code.textContent)) ? "Copied." : "Select the command and copy it.";
      },
    }, "Copy"), status];
  };
  return h("details", { class: "agent-help", id: "agent-help" },
    h("summary", {}, "Add a computer: install and register the agent"),
    h("ol", { class: "steps" },
      h("li", {}, "Install ", h("code", {}, "cloudstrype-agent"), " on the computer (it is built with the server; copy the binary onto the computer's PATH)."),
      h("li", {}, h("label", { for: nameId }, "Name it, as it will show here: "), name),
      h("li", {}, "Register it with this server. It asks for your email and password (or reads CLOUDSTRYPE_EMAIL and CLOUDSTRYPE_PASSWORD) and saves an agent token in the configuration file:",
        h("pre", { class: "command" }, register), h("div", { class: "row-actions" }, copy(register))),
      h("li", {}, "Run it, giving the folder and how much of the disk it may use; keep it running (e.g. as a service):",
        h("pre", { class: "command" }, run), h("div", { class: "row-actions" }, copy(run))),
      h("li", {}, "It shows up above as online within seconds. ", h("code", {}, "cloudstrype-agent status --config …"), " shows it as the server sees it.")));
}

