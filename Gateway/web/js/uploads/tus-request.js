// One tus request: an XHR (for upload progress) with the bearer token, refreshed and retried once on a 401.
import { errorFrom, networkError } from "../api/errors.js";
import { freshToken, refresh } from "../api/request.js";

/**
 * One request with the bearer token; a 401 refreshes the tokens and retries once. `onProgress(loaded)` reports
 * bytes of the body sent so far. Resolves with the XHR (any status); rejects with a network ApiError or AbortError.
 */
export async function tusRequest(method, url, { headers = {}, body = null, onProgress, signal } = {}) {
  const once = async () => {
    const token = await freshToken();
    return send(token);
  };
  const send = (token) => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(method, url);
    xhr.setRequestHeader("Tus-Resumable", "1.0.0");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    for (const [name, value] of Object.entries(headers)) xhr.setRequestHeader(name, value);
    if (onProgress) xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => resolve(xhr);
    xhr.onerror = () => reject(networkError());
    xhr.ontimeout = () => reject(networkError());
    xhr.onabort = () => reject(new DOMException("cancelled", "AbortError"));
    if (signal) {
      if (signal.aborted) {
        reject(new DOMException("cancelled", "AbortError"));
        return;
      }
      signal.addEventListener("abort", () => xhr.abort(), { once: true });
    }
    xhr.send(body);
  });
  let xhr = await once();
  if (xhr.status === 401) {
    await refresh();
    xhr = await once();
  }
  return xhr;
}

/** The ApiError a tus answer that is not the expected status stands for. */
export function errorOf(xhr) {
  return errorFrom(new Response(xhr.responseText || "", { status: xhr.status }));
}
