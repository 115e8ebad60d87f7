// The auth service: sign in, sign up, sign out, and who is signed in (GET /api/auth/me).
import { request, send } from "./request.js";
import { currentSession, saveSession, setUser, notifySignedOut } from "./session.js";

export async function loadUser() {
  const user = await request("GET", "/api/auth/me");
  setUser(user);
  return user;
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
  const ending = currentSession();
  saveSession(null);
  if (ending) {
    try {
      await send("POST", "/api/auth/logout", { json: { refresh_token: ending.refresh_token }, auth: false });
    } catch {
      // The tokens are gone here either way; the refresh token expires on its own.
    }
  }
  notifySignedOut("");
}
