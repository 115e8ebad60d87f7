// A tus 1.0.0 upload of one file: creates the upload (a small file goes whole in that request), sends the file in
// slices, resumes with HEAD after a dropped connection or a reload, and cancels with DELETE.
import { ApiError, describe } from "../api/errors.js";
import { fingerprint, remember, recall, forget } from "./tus-records.js";
import { tusRequest, errorOf } from "./tus-request.js";

const ENDPOINT = "/api/filesystem/tus";
export const SLICE = 8 * 1024 * 1024;
// A file this small goes whole in the request that creates its upload (creation-with-upload): one request per file,
// which the server commits at once (it keeps files up to INLINE_MAX_BYTES, 64 KiB by default, inline).
export const WHOLE_IN_CREATION = 64 * 1024;
// About two minutes of retries before giving up (choosing the file again resumes it later).
const RETRY_DELAYS = [1000, 2000, 4000, 8000, 15000, 15000, 15000, 15000, 15000, 15000];

function base64(text) {
  let binary = "";
  for (const byte of new TextEncoder().encode(text)) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Waits `ms`, or less when the browser comes back online; rejects when the upload is cancelled. */
const pause = (ms, signal) => new Promise((resolve, reject) => {
  const done = () => {
    clearTimeout(timer);
    window.removeEventListener("online", done);
    resolve();
  };
  const timer = setTimeout(done, ms);
  window.addEventListener("online", done);
  signal?.addEventListener("abort", () => {
    clearTimeout(timer);
    window.removeEventListener("online", done);
    reject(new DOMException("cancelled", "AbortError"));
  }, { once: true });
});

/** Gives up an unfinished upload: the server deletes what it stored. */
export async function discardUpload(key) {
  const record = recall(key);
  forget(key);
  if (record?.location) {
    try {
      await tusRequest("DELETE", record.location);
    } catch {
      // Gone already, or unreachable: it expires on the server by itself.
    }
  }
}

/** Whether a failure is worth retrying after a pause (the connection or a service hiccup). */
function transient(error) {
  return error instanceof ApiError && [0, 502, 503, 504].includes(error.status);
}

/**
 * One file's upload. `onProgress({sent, total})` as bytes go out; `start()` resolves when the file is in.
 */
export class TusUpload {
  constructor(file, destination, { onProgress = () => {}, onState = () => {}, slice = SLICE } = {}) {
    this.file = file;
    this.destination = destination;
    this.onProgress = onProgress;
    this.onState = onState;
    this.slice = slice;
    this.key = fingerprint(file, destination);
    this.controller = new AbortController();
    this.location = null;
    this.offset = 0;
    this.resumed = false;
  }

  get total() {
    return this.file.size;
  }

  async start() {
    const { signal } = this.controller;
    let attempt = 0;
    let resync = false;
    while (this.offset < this.total || this.location === null) {
      try {
        if (resync) {
          await this.resync();
          resync = false;
        } else if (this.location === null) await this.open();
        else await this.sendSlice();
        attempt = 0;
      } catch (error) {
        if (signal.aborted || error.name === "AbortError") throw new DOMException("cancelled", "AbortError");
        if (error.code === "offset_mismatch") {
          resync = true;
          continue;
        }
        if (!transient(error) || attempt >= RETRY_DELAYS.length) throw error;
        this.onState(`Connection interrupted, retrying… (${describeShort(error)})`);
        await pause(RETRY_DELAYS[attempt], signal);
        attempt += 1;
        // Where does the server stand? Some of the cut request may have arrived.
        resync = this.location !== null;
      }
    }
    forget(this.key);
  }

  /** Finds the upload's offset on the server, or starts it (anew if the saved one is gone). */
  async open() {
    const saved = recall(this.key);
    if (saved?.location) {
      const xhr = await tusRequest("HEAD", saved.location, { signal: this.controller.signal });
      if (xhr.status === 200) {
        this.location = saved.location;
        this.offset = Number(xhr.getResponseHeader("Upload-Offset") || 0);
        this.resumed = this.offset > 0;
        this.onProgress({ sent: this.offset, total: this.total, resumed: this.resumed });
        return;
      }
      forget(this.key);
    }
    await this.create();
  }

  async create() {
    const metadata = [`filename ${base64(this.file.name)}`];
    if (this.destination.parent) metadata.push(`parent ${base64(this.destination.parent)}`);
    else metadata.push(`path ${base64(this.destination.path)}`);
    const whole = this.total > 0 && this.total <= WHOLE_IN_CREATION;
    const headers = { "Upload-Length": String(this.total), "Upload-Metadata": metadata.join(",") };
    if (whole) headers["Content-Type"] = "application/offset+octet-stream";
    const xhr = await tusRequest("POST", ENDPOINT, {
      headers,
      body: whole ? this.file : null,
      onProgress: whole ? (loaded) => this.onProgress({ sent: Math.min(loaded, this.total), total: this.total }) : undefined,
      signal: this.controller.signal,
    });
    if (xhr.status !== 201) throw await errorOf(xhr);
    this.location = xhr.getResponseHeader("Location");
    if (!this.location) throw new ApiError(500, "internal", describe(500, "", "the server gave no upload address"));
    this.offset = Number(xhr.getResponseHeader("Upload-Offset") || 0);
    this.save();
    this.onProgress({ sent: this.offset, total: this.total });
  }

  async sendSlice() {
    const end = Math.min(this.offset + this.slice, this.total);
    const start = this.offset;
    const xhr = await tusRequest("PATCH", this.location, {
      headers: { "Upload-Offset": String(start), "Content-Type": "application/offset+octet-stream" },
      body: this.file.slice(start, end),
      onProgress: (loaded) => this.onProgress({ sent: start + Math.min(loaded, end - start), total: this.total }),
      signal: this.controller.signal,
    });
    if (xhr.status === 404) {
      // Expired or removed on the server: start over.
      forget(this.key);
      this.location = null;
      this.offset = 0;
      return;
    }
    if (xhr.status !== 204) {
      const error = await errorOf(xhr);
      // A slice that was cut short may have left some bytes: the next attempt asks where the upload stands.
      throw error;
    }
    this.offset = Number(xhr.getResponseHeader("Upload-Offset") || end);
    this.save();
    this.onProgress({ sent: this.offset, total: this.total });
  }

  /** After an interruption: where the server is, by HEAD. */
  async resync() {
    if (!this.location) return;
    const xhr = await tusRequest("HEAD", this.location, { signal: this.controller.signal });
    if (xhr.status === 200) {
      this.offset = Number(xhr.getResponseHeader("Upload-Offset") || 0);
      this.onProgress({ sent: this.offset, total: this.total });
    } else if (xhr.status === 404) {
      forget(this.key);
      this.location = null;
      this.offset = 0;
    } else {
      throw await errorOf(xhr);
    }
  }

  save() {
    remember(this.key, {
      location: this.location,
      name: this.file.name,
      size: this.total,
      offset: this.offset,
      destination: this.destination,
      saved: new Date().toISOString(),
    });
  }

  /** Stops sending and deletes what the server stored. */
  async cancel() {
    this.controller.abort();
    forget(this.key);
    if (this.location) {
      try {
        await tusRequest("DELETE", this.location);
      } catch {
        // It expires on the server anyway.
      }
    }
  }
}

function describeShort(error) {
  return error.status ? `HTTP ${error.status}` : "offline";
}
