// The storage page's array members: computers donating disk through the agent, with online state, capacity and
// free space, removing one, and how to install and register the agent on another.
import { h, mount, uid } from "../../dom.js";
import * as fmt from "../../format.js";
import { readable } from "../../api/errors.js";
import { currentUser } from "../../api/session.js";
import { get, del } from "../../api/request.js";
import { array } from "../../api/storage.js";
import { confirmDialog, toast, copyText } from "../../ui.js";

/** Fills `el` with the array members (or with why they could not be read). */
export async function loadMembers(el) {
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

/** How to add a computer: install, register and run the agent, with the commands to copy. */
export function agentHelp() {
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
