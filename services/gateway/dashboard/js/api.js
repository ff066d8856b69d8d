// The REST/JSON API of the gateway: the only thing the dashboard talks to.
// Sign-in is the gateway's HttpOnly session cookie (a login link from `racing-coach open`, or a
// pasted token exchanged at POST /login): the page never holds a token, nor stores one.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

const enc = encodeURIComponent;

async function failure(response) {
  let detail = response.statusText;
  try { detail = (await response.json()).detail || detail; } catch { /* keep the status text */ }
  return new ApiError(response.status, detail);
}

export async function api(path) {
  const response = await fetch(path, { credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return response.json();
}

// A pasted token becomes the session cookie at once; the token itself is not kept.
export async function signIn(token) {
  const response = await fetch("/login", { method: "POST", credentials: "same-origin", headers: { Authorization: `Bearer ${token}` } });
  if (!response.ok) throw await failure(response);
}

export const listSessions = () => api("/api/v1/sessions?pageSize=50");
// the newest sessions whose track and car names contain these (the caller keeps the exact matches)
export const listSessionsOf = (track, car) => api(`/api/v1/sessions?pageSize=20&track=${enc(track)}&car=${enc(car)}`);
export const getSession = (id) => api(`/api/v1/sessions/${enc(id)}`);
export const getLap = (id) => api(`/api/v1/laps/${enc(id)}`);
export const getCompare = (id, refId) => api(`/api/v1/laps/${enc(id)}/compare/${enc(refId)}`);

// ref: {kind: "session-best" | "personal-best" | "lap", lapId}
export function getDelta(id, ref) {
  const kinds = { "session-best": "REFERENCE_KIND_SESSION_BEST", "personal-best": "REFERENCE_KIND_PERSONAL_BEST", lap: "REFERENCE_KIND_LAP" };
  let query = `reference=${kinds[ref.kind] || kinds["session-best"]}`;
  if (ref.kind === "lap") query += `&referenceLapId=${enc(ref.lapId)}`;
  return api(`/api/v1/laps/${enc(id)}/delta?${query}`);
}

// A lap's channels from the binary columns route (/api/v1/laps/{id}/columns): a JSON header
// then little-endian arrays, each read in place as a typed array. Returns {channel: Float64Array};
// channels never stored are absent.
const ARRAYS = { f4: Float32Array, f8: Float64Array, u4: Uint32Array };

export function decodeColumns(buffer) {
  const view = new DataView(buffer);
  if (new TextDecoder().decode(new Uint8Array(buffer, 0, 4)) !== "RCC1") throw new ApiError(500, "not a columns body");
  const header = JSON.parse(new TextDecoder().decode(new Uint8Array(buffer, 8, view.getUint32(4, true))));
  const out = {};
  for (const c of header.channels) {
    const values = new ARRAYS[c.dtype](buffer, c.offset, header.sampleCount);
    out[c.name] = values instanceof Float64Array ? values : Float64Array.from(values);
  }
  return out;
}

export async function getTelemetry(id, channels, maxSamples = 3000) {
  const query = `channels=${enc(channels.join(","))}&maxSamples=${maxSamples}`;
  const response = await fetch(`/api/v1/laps/${enc(id)}/columns?${query}`, { credentials: "same-origin" });
  if (!response.ok) throw await failure(response);
  return decodeColumns(await response.arrayBuffer());
}
