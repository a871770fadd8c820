// The portal pages' shared script: words, API errors as sentences, the district base map.
"use strict";
const PORTAL = JSON.parse(document.getElementById("portal-config").textContent);
const $ = (id) => document.getElementById(id);

function t(key, vars) {
  let text = PORTAL.text[key] ?? key;
  for (const [name, value] of Object.entries(vars || {})) text = text.replaceAll(`{${name}}`, String(value));
  return text;
}

function statusWord(status) { return PORTAL.status_words[status] || status; }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === "text") node.textContent = value; else node.setAttribute(name, value === true ? "" : value);
  }
  node.append(...children.filter((c) => c !== null && c !== undefined));
  return node;
}

// An API's answer when it is not OK, as sentences: Open311 error lists, {"detail": ...}, {"message": ...}, or
// the status.
async function apiError(response) {
  let body = null;
  try { body = await response.json(); } catch (_) { /* not JSON */ }
  let sentences = [];
  if (Array.isArray(body)) sentences = body.map((e) => e.description).filter(Boolean);
  else if (body && typeof body.detail === "string") sentences = [body.detail];
  else if (body && typeof body.message === "string") sentences = [body.message];  // voting, SensorThings
  else if (body && Array.isArray(body.detail)) sentences = body.detail.map((d) => d.msg || String(d));
  return explainError(response.status, sentences);
}

// The sentence a page shows for a refused request. The servers' own sentences are English: a Korean page says
// first, in Korean, what kind of problem it is (by the status) and then quotes the server's words as such.
function explainError(status, sentences) {
  const said = sentences.map((s) => String(s).replace(/\.?$/, ".")).join(" ");
  if (PORTAL.lang !== "ko" || /[\uac00-\ud7a3]/.test(said)) return `${t("error_prefix")} ${said || `HTTP ${status}.`}`;
  const kind = status >= 500 ? "status_5xx" : `status_${status}`;
  const plain = PORTAL.text[kind] || PORTAL.text.status_4xx;
  return `${t("error_prefix")} ${plain}${said ? ` (${t("server_said")}: ${said})` : ""}`;
}

async function getJSON(url) {
  let response;
  try { response = await fetch(url, { headers: { Accept: "application/json" } }); }
  catch (_) { throw new Error(t("network_error")); }
  if (!response.ok) { const error = new Error(await apiError(response)); error.status = response.status; throw error; }
  return response.json();
}

function formatTime(text) {
  if (!text) return "";
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) return text;
  return date.toLocaleString(PORTAL.lang === "ko" ? "ko-KR" : "en-GB",
                             { dateStyle: "medium", timeStyle: "short", timeZone: "Asia/Seoul" });
}

// A Leaflet map of Seoul whose base is the district outlines served here (or the configured tiles under them).
const SEOUL = [[37.413, 126.764], [37.715, 127.184]];
async function districtMap(id, label) {
  const node = document.getElementById(id);
  node.setAttribute("aria-label", label);
  const map = L.map(node, { zoomSnap: 0.25, attributionControl: Boolean(PORTAL.tile_url) });
  map.fitBounds(SEOUL);
  if (PORTAL.tile_url) {
    L.tileLayer(PORTAL.tile_url, { attribution: PORTAL.tile_attribution || "", maxZoom: 19 }).addTo(map);
  }
  let outlines = null;
  try {
    outlines = await getJSON("/geo/districts.json");
    const nameKey = PORTAL.lang === "ko" ? "name" : "name_eng";
    L.geoJSON(outlines, {
      interactive: false,
      style: { color: "#0b5cad", weight: 1.5, fillColor: "#ffffff", fillOpacity: PORTAL.tile_url ? 0 : 0.85 },
    }).addTo(map);
    // the districts' names, where the map has room for them
    for (const feature of outlines.features) {
      const ring = feature.geometry.coordinates[0];
      const [lng, lat] = ring.reduce(([x, y], [a, b]) => [x + a / ring.length, y + b / ring.length], [0, 0]);
      L.marker([lat, lng], { interactive: false, keyboard: false,
                             icon: L.divIcon({ className: "district-label", html: "<span></span>", iconSize: null }) })
        .addTo(map).getElement().firstChild.textContent = feature.properties[nameKey];
    }
  } catch (_) { /* the map still works without its outlines */ }
  return { map, outlines };
}
