// The REST/JSON API of the gateway: the only thing the dashboard talks to.
const TOKEN_KEY = "racecoach.token";

export const auth = {
  get token() { return localStorage.getItem(TOKEN_KEY) || ""; },
  set token(value) { localStorage.setItem(TOKEN_KEY, value); },
};

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

const headers = () => ({ Authorization: `Bearer ${auth.token}` });
const enc = encodeURIComponent;

export async function api(path) {
  const response = await fetch(path, { headers: headers() });
  let body = {};
  try { body = await response.json(); } catch { /* an empty or non-JSON body */ }
  if (!response.ok) throw new ApiError(response.status, body.detail || response.statusText);
  return body;
}

export const listSessions = () => api("/api/v1/sessions?pageSize=50");
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

// The telemetry route answers with server-sent events of columnar chunks; fetch (unlike
// EventSource) can send the token. Returns {channel: Float64Array}; channels never stored are absent.
export async function getTelemetry(id, channels, maxSamples = 3000) {
  const query = channels.map((c) => `channels=${enc(c)}`).join("&");
  const response = await fetch(`/api/v1/laps/${enc(id)}/telemetry?maxSamples=${maxSamples}&${query}`, { headers: headers() });
  if (!response.ok) {
    let detail = response.statusText;
    try { detail = (await response.json()).detail || detail; } catch { /* keep the status text */ }
    throw new ApiError(response.status, detail);
  }
  const columns = {};
  for (const line of (await response.text()).split("\n")) {
    if (!line.startsWith("data:")) continue;
    const chunk = JSON.parse(line.slice(5)).chunk || {};
    for (const [key, values] of Object.entries(chunk)) {
      if (Array.isArray(values)) (columns[key] ||= []).push(...values);
    }
  }
  const out = {};  // proto3 JSON names the channels in camelCase: back to the field names (lapDistM → lap_dist_m)
  for (const [key, values] of Object.entries(columns)) out[key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = Float64Array.from(values, Number);
  return out;
}
