// The web client's entry: picks the page for the address (share page, sign-in, or a signed-in view) and keeps the
// header and navigation in step.
import { $, $$, h, mount } from "./dom.js";
import { readable } from "./api/errors.js";
import { isSignedIn, onSignedOut } from "./api/session.js";
import { signOut, loadUser } from "./api/auth.js";
import { parseRoute, filesHref } from "./routes.js";
import { signInPage, signUpPage } from "./views/auth.js";
import { filesPage } from "./views/files.js";
import { detailsPage } from "./views/details.js";
import { trashPage } from "./views/trash.js";
import { storagePage } from "./views/storage.js";
import { sharedPage } from "./views/shared.js";
import { sharePage } from "./views/sharepage.js";
import { showUnfinished } from "./uploads/queue.js";
import { toastError } from "./ui.js";

const main = $("#main");
const topbar = $("#topbar");
let signedOutNotice = "";
let rendering = 0;

function showChrome(visible) {
  topbar.hidden = !visible;
  document.body.classList.toggle("signed-in", visible);
}

function markNav(page) {
  for (const link of $$(".mainnav a")) {
    const active = link.dataset.nav === page;
    if (active) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}

async function render({ focus = true } = {}) {
  const ticket = ++rendering;
  const route = parseRoute();
  if (!isSignedIn()) {
    showChrome(false);
    $("#uploads")?.setAttribute("hidden", "");
    const done = async () => {
      signedOutNotice = "";
      await loadHeader();
      if (location.hash === filesHref("/")) render();
      else location.hash = filesHref("/");
      showUnfinished();
    };
    if (route.page === "signup") signUpPage(main, { onDone: done });
    else signInPage(main, { onDone: done, notice: signedOutNotice });
    return;
  }
  if (route.page === "signin" || route.page === "signup") {
    location.replace(filesHref("/"));
    return;
  }
  showChrome(true);
  const nav = route.page === "files" ? (route.shared ? "shared" : "files") : route.page === "details" ? "files" : route.page;
  markNav(nav);
  try {
    if (route.page === "files") await filesPage(main, route);
    else if (route.page === "details") await detailsPage(main, route);
    else if (route.page === "trash") await trashPage(main);
    else if (route.page === "storage") await storagePage(main);
    else if (route.page === "shared") await sharedPage(main);
    else {
      mount(main, h("section", { class: "page" }, h("h1", { class: "page-title" }, "Page not found"),
        h("p", {}, h("a", { href: filesHref("/") }, "Go to my files"))));
    }
  } catch (error) {
    if (ticket === rendering && isSignedIn()) toastError(error);
  }
  if (focus && ticket === rendering && document.activeElement === document.body) main.focus({ preventScroll: true });
}

async function loadHeader() {
  try {
    const user = await loadUser();
    $("#account-name").textContent = user.name || user.email;
    $("#account-name").title = user.email;
  } catch (error) {
    if (isSignedIn()) toastError(error); // else the sign-in page is up already
  }
}

async function start() {
  await loadHeader();
  if (!isSignedIn()) return;
  await render({ focus: false });
  showUnfinished();
}

onSignedOut((reason) => {
  signedOutNotice = reason;
  if (!location.hash.startsWith("#/signin")) location.hash = "#/signin";
  else render();
});

$("#sign-out").addEventListener("click", () => signOut());

const share = /^\/s\/([^/]+)\/?$/.exec(location.pathname);
if (share) {
  showChrome(false);
  sharePage(main, decodeURIComponent(share[1])).catch((error) => mount(main, h("p", { role: "alert" }, readable(error))));
} else {
  window.addEventListener("hashchange", () => render());
  if (isSignedIn()) start();
  else render();
}

