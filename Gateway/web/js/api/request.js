// One API call: the shared fetch helper for /api/..., with the session's bearer token, refreshed ahead of expiry and
// once, transparently, on a 401; failures become ApiErrors.
import { ApiError, SESSION_ENDED, errorFrom, networkError } from "./errors.js";
import { currentSession, readSession, saveSession, adoptSession, notifySignedOut, accessToken } from "./session.js";

let refreshing = null;

/** The fetch itself: query parameters, a JSON or raw body, the bearer token unless `auth: false`. */
export async function send(method, path, { json, body, headers = {}, query, auth = true, signal } = {}) {
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
  const session = currentSession();
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
    const token = currentSession()?.refresh_token;
    refreshing = (async () => {
      if (!token) throw new ApiError(401, "unauthorized", SESSION_ENDED);
      const response = await send("POST", "/api/auth/refresh", { json: { refresh_token: token }, auth: false });
      if (!response.ok) {
        const error = await errorFrom(response);
        if (response.status === 400 || response.status === 401 || response.status === 403) {
          // Another tab may have rotated it already: use theirs if so.
          const stored = readSession();
          if (stored && stored.refresh_token !== token) {
            adoptSession(stored);
            return;
          }
          saveSession(null);
          const ended = new ApiError(401, error.code, SESSION_ENDED);
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
  const session = currentSession();
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
  const authenticated = options.auth !== false && currentSession() !== null;
  if (authenticated) await freshToken();
  let response = await send(method, path, options);
  if (response.status === 401 && authenticated) {
    await refresh();
    response = await send(method, path, options);
    if (response.status === 401) {
      saveSession(null);
      notifySignedOut(SESSION_ENDED);
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
