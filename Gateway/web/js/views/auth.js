// Sign-in and sign-up pages.
import { h, mount } from "../dom.js";
import { signIn, signUp } from "../api/auth.js";
import { field, errorLine, showError } from "../ui.js";

function page(main, title, form, footer, notice) {
  document.title = `${title} · Cloudstrype`;
  mount(main,
    h("div", { class: "auth" },
      h("div", { class: "auth-brand" },
        h("img", { src: "/favicon.svg", alt: "", width: "40", height: "40" }),
        h("span", {}, "Cloudstrype")),
      h("section", { class: "card auth-card", "aria-labelledby": "auth-title" },
        h("h1", { id: "auth-title" }, title),
        notice ? h("p", { class: "notice", role: "status" }, notice) : null,
        form,
        h("p", { class: "auth-switch" }, footer)),
      h("p", { class: "auth-tagline" }, "Your files, encrypted and spread over storage you control.")));
  form.querySelector("input")?.focus();
}

function submitting(form, button, run) {
  const error = form.querySelector(".form-error");
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    showError(error, "");
    button.disabled = true;
    try {
      await run();
    } catch (failure) {
      showError(error, failure);
      const name = failure.field && form.elements[failure.field];
      if (name) name.focus();
    } finally {
      button.disabled = false;
    }
  });
}

export function signInPage(main, { onDone, notice }) {
  const button = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Sign in");
  const form = h("form", { class: "stack", id: "sign-in-form", novalidate: true },
    field("Email", { name: "email", type: "email", autocomplete: "username", required: true }),
    field("Password", { name: "password", type: "password", autocomplete: "current-password", required: true }),
    errorLine(),
    button);
  submitting(form, button, async () => {
    await signIn(form.elements.email.value.trim(), form.elements.password.value);
    onDone();
  });
  page(main, "Sign in", form, ["New here? ", h("a", { href: "#/signup" }, "Create an account")], notice);
}

export function signUpPage(main, { onDone }) {
  const button = h("button", { type: "submit", class: "btn btn-primary btn-block" }, "Create account");
  const form = h("form", { class: "stack", id: "sign-up-form", novalidate: true },
    field("Name", { name: "name", autocomplete: "name", required: true }),
    field("Email", { name: "email", type: "email", autocomplete: "username", required: true }),
    field("Password", { name: "password", type: "password", autocomplete: "new-password", required: true, minlength: "10" },
      "At least 10 characters."),
    errorLine(),
    button);
  submitting(form, button, async () => {
    await signUp(form.elements.email.value.trim(), form.elements.password.value, form.elements.name.value.trim());
    onDone();
  });
  page(main, "Create your account", form, ["Already have an account? ", h("a", { href: "#/signin" }, "Sign in")]);
}
