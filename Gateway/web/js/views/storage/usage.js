// The storage page's usage section: what the user stores against their quota, as a ring chart and the figures.
import { h, svg, mount } from "../../dom.js";
import * as fmt from "../../format.js";
import { readable } from "../../api/errors.js";
import { get } from "../../api/request.js";
import { fs } from "../../api/filesystem.js";

/** Fills `el` with the usage chart and its figures (or with why they could not be read). */
export async function loadUsage(el) {
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
