// The API's errors: an ApiError with a message meant for people, read from an answer's status and
// `{"error": {code, message, field}}`.
import { bytes } from "../format.js";

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

/** What a 401 that ends the session says. */
export const SESSION_ENDED = STATUS_MESSAGES[401];

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
