// The API client: the session's tokens in localStorage, JSON calls to /api/..., one transparent refresh on a 401,
// and errors turned into readable messages.

import { bytes } from "./format.js";

const SESSION_KEY = "cloudstrype.session";

let session = readSession();
let refreshing = null;
let user = null;
const signedOutListeners = new Set();

function readSession() {
  try {
    const saved = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    return saved && saved.access_token && saved.refresh_token ? saved : null;
  } catch {
    return null;
  }
}

function saveSession(tokens) {
  if (!tokens) user = null;
  session = tokens ? { access_token: tokens.access_token, refresh_token: tokens.refresh_token } : null;
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

// Another tab that refreshed (the refresh token rotates) or signed out: follow it, never replay an old token.
window.addEventListener("storage", (event) => {
  if (event.key !== SESSION_KEY) return;
  const had = session;
  session = readSession();
  if (had && !session) notifySignedOut("");
});

function notifySignedOut(reason) {
  for (const listener of signedOutListeners) listener(reason);
}

/** An error from the API (or the network), with a message meant for people. */
export class ApiError extends Error {
  constructor(status, code, message, field) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
  }
}

const STATUS_MESSAGES = {
  0: "Cannot reach the server. Check your connection and try again.",
  401: "Your session has ended. Please sign in again.",
  403: "You are not allowed to do that.",
  404: "That no longer exists.",
  413: "That does not fit your storage quota.",
  429: "Too many attempts. Wait a moment and try again.",
  502: "The server is not reachable right now. Try again shortly.",
  503: "Storage is temporarily unavailable. Try again shortly.",
  504: "The server took too long to answer. Try again shortly.",
  507: "There is not enough free storage on your cloud accounts and array members for this. Add storage on the Storage page.",
};

function sentence(text) {
  const trimmed = String(text || "").trim();
  if (!trimmed) return "";
  const capital = trimmed[0].toUpperCase() + trimmed.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}

/** The readable message for an API answer's status, code and the server's message. */
export function describe(status, code, serverMessage) {
  if (code === "quota_exceeded") {
    const message = String(serverMessage || "this does not fit your quota").replace(/(\d+) bytes/, (_, n) => bytes(Number(n)));
    return `Quota exceeded: ${sentence(message)} Free up space (empty the trash, delete old versions) or ask an admin for more.`;
  }
  if (code === "insufficient_backends") {
    return `Not enough storage for this durability: ${sentence(serverMessage)} Add a cloud account or bring an array member online on the Storage page, or choose a lower durability.`;
  }
  if (status === 507 || code === "insufficient_storage") {
    return `${STATUS_MESSAGES[507]}${serverMessage ? ` (${sentence(serverMessage)})` : ""}`;
  }
  if (status === 503) return `${STATUS_MESSAGES[503]}${serverMessage ? ` (${sentence(serverMessage)})` : ""}`;
  if (serverMessage && status < 500) return sentence(serverMessage);
  return STATUS_MESSAGES[status] || sentence(serverMessage) || `Something went wrong (HTTP ${status}).`;
}

/** Turns a failed response into an ApiError, reading `{"error": {code, message, field}}` when present. */
export async function errorFrom(response) {
  let detail = {};
  try {
    const text = await response.text();
    detail = (text && JSON.parse(text).error) || {};
  } catch {
    detail = {};
  }
  return new ApiError(response.status, detail.code || "", describe(response.status, detail.code, detail.message), detail.field);
}

export function networkError() {
  return new ApiError(0, "network", STATUS_MESSAGES[0]);
}

/** Any error as a message for people (never raw JSON). */
export function readable(error) {
  if (error instanceof ApiError) return error.message;
  if (error && error.name === "AbortError") return "Cancelled.";
  return "Something went wrong. Try again.";
}

export const isSignedIn = () => session !== null;

/** The signed-in user as `GET /api/auth/me` last told (id, email, name, roles). */
export const currentUser = () => user;
export async function loadUser() {
  user = await request("GET", "/api/auth/me");
  return user;
}
export const accessToken = () => session?.access_token || "";

/** Called with a reason when the session ends (sign-out, failed refresh, another tab). */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

async function send(method, path, { json, body, headers = {}, query, auth = true, signal } = {}) {
  let url = path;
  if (query) {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) if (value != null) params.set(key, String(value));
    url += `?${params}`;
  }
  const init = { method, headers: { ...headers }, signal };
  if (json !== undefined) {
    init.body = JSON.stringify(json);
    init.headers["Content-Type"] = "application/json";
  } else if (body !== undefined) {
    init.body = body;
  }
  if (auth && session) init.headers.Authorization = `Bearer ${session.access_token}`;
  try {
    return await fetch(url, init);
  } catch (error) {
    if (error.name === "AbortError") throw error;
    throw networkError();
  }
}

/**
 * Trades the refresh token for new tokens, once for everyone waiting (the token rotates, so two refreshes at once
 * would replay it). A refused refresh ends the session.
 */
export function refresh() {
  if (!refreshing) {
    const token = session?.refresh_token;
    refreshing = (async () => {
      if (!token) throw new ApiError(401, "unauthorized", STATUS_MESSAGES[401]);
      const response = await send("POST", "/api/auth/refresh", { json: { refresh_token: token }, auth: false });
      if (!response.ok) {
        const error = await errorFrom(response);
        if (response.status === 400 || response.status === 401 || response.status === 403) {
          // Another tab may have rotated it already: use theirs if so.
          const stored = readSession();
          if (stored && stored.refresh_token !== token) {
            session = stored;
            return;
          }
          saveSession(null);
          const ended = new ApiError(401, error.code, STATUS_MESSAGES[401]);
          notifySignedOut(ended.message);
          throw ended;
        }
        throw error;
      }
      saveSession(await response.json());
    })().finally(() => {
      refreshing = null;
    });
  }
  return refreshing;
}

/** Seconds until the access token expires, from its `exp` claim (Infinity when it cannot be read). */
function secondsLeft(token) {
  try {
    const payload = token.split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
    const { exp } = JSON.parse(atob(payload));
    return typeof exp === "number" ? exp - Date.now() / 1000 : Infinity;
  } catch {
    return Infinity;
  }
}

/** Refreshes ahead of time when the access token is about to expire (saves a 401 and a resent upload slice). */
export async function freshToken() {
  if (session && secondsLeft(session.access_token) < 30) {
    try {
      await refresh();
    } catch {
      // The call itself will meet the 401 and handle it.
    }
  }
  return accessToken();
}

/**
 * One API call. `expect`: "json" (default; null for 204), "response" (the raw Response, for downloads), "none".
 * A 401 on an authenticated call refreshes the tokens and retries the call once.
 */
export async function request(method, path, options = {}) {
  const { expect = "json" } = options;
  const authenticated = options.auth !== false && session !== null;
  if (authenticated) await freshToken();
  let response = await send(method, path, options);
  if (response.status === 401 && authenticated) {
    await refresh();
    response = await send(method, path, options);
    if (response.status === 401) {
      saveSession(null);
      notifySignedOut(STATUS_MESSAGES[401]);
    }
  }
  if (!response.ok) throw await errorFrom(response);
  if (expect === "response") return response;
  if (expect === "none" || response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export const get = (path, options) => request("GET", path, options);
export const post = (path, json, options = {}) => request("POST", path, { ...options, json });
export const put = (path, json, options = {}) => request("PUT", path, { ...options, json });
export const del = (path, options) => request("DELETE", path, options);

/** Shortcuts for the filesystem service. */
export const fs = (path) => `/api/filesystem${path}`;

/**
 * A listing (GET /info) with every page of it: the server answers at most 1000 entries at a time and marks each
 * folder with entries left out with `next`; this asks for the rest, by id, until no folder has `next`.
 * `depth` is the depth the first answer was asked for.
 */
export async function whole(node, depth) {
  const pending = [[node, depth]];
  while (pending.length > 0) {
    const [folder, left] = pending.pop();
    while (folder.next) {
      const more = await get(fs(`/info/${folder.id}`), { query: { depth: left, cursor: folder.next } });
      folder.children = [...(folder.children || []), ...(more.children || [])];
      folder.next = more.next;
    }
    delete folder.next;
    if (left > 1) for (const child of folder.children || []) if (child.kind === "dir") pending.push([child, left - 1]);
  }
  return node;
}

export async function signIn(email, password) {
  const tokens = await request("POST", "/api/auth/login", { json: { email, password }, auth: false });
  saveSession(tokens);
}

export async function signUp(email, password, name) {
  await request("POST", "/api/auth/register", { json: { email, password, name }, auth: false });
  await signIn(email, password);
}

/** Ends the session on the server (best effort) and forgets the tokens. */
export async function signOut() {
  const ending = session;
  saveSession(null);
  if (ending) {
    try {
      await fetch("/api/auth/logout", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ refresh_token: ending.refresh_token }),
      });
    } catch {
      // The tokens are gone here either way; the refresh token expires on its own.
    }
  }
  notifySignedOut("");
}
