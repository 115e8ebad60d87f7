// The session: its tokens in localStorage (followed across tabs), the signed-in user, and who to tell when it ends.

const SESSION_KEY = "cloudstrype.session";

let session = readSession();
let user = null;
const signedOutListeners = new Set();

/** The tokens as saved (null when there are none, or they cannot be read). */
export function readSession() {
  try {
    const saved = JSON.parse(localStorage.getItem(SESSION_KEY) || "null");
    return saved && saved.access_token && saved.refresh_token ? saved : null;
  } catch {
    return null;
  }
}

/** Keeps new tokens (or, given none, ends the session here and forgets the user). */
export function saveSession(tokens) {
  if (!tokens) user = null;
  session = tokens ? { access_token: tokens.access_token, refresh_token: tokens.refresh_token } : null;
  if (session) localStorage.setItem(SESSION_KEY, JSON.stringify(session));
  else localStorage.removeItem(SESSION_KEY);
}

/** Uses tokens another tab saved already (nothing is written). */
export function adoptSession(saved) {
  session = saved;
}

// Another tab that refreshed (the refresh token rotates) or signed out: follow it, never replay an old token.
window.addEventListener("storage", (event) => {
  if (event.key !== SESSION_KEY) return;
  const had = session;
  session = readSession();
  if (had && !session) notifySignedOut("");
});

export function notifySignedOut(reason) {
  for (const listener of signedOutListeners) listener(reason);
}

/** The tokens in use: `{access_token, refresh_token}`, or null when signed out. */
export const currentSession = () => session;
export const isSignedIn = () => session !== null;
export const accessToken = () => session?.access_token || "";

/** The signed-in user as `GET /api/auth/me` last told (id, email, name, roles). */
export const currentUser = () => user;
export function setUser(me) {
  user = me;
}

/** Called with a reason when the session ends (sign-out, failed refresh, another tab). */
export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}
