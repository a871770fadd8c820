// The staff console's shared script (after /portal/portal.js): writes with the session's CSRF token, numbers.
"use strict";
async function sendJSON(url, body, method) {
  let response;
  try {
    response = await fetch(url, { method: method || "POST", body: body === undefined ? undefined : JSON.stringify(body),
                                  headers: { "Content-Type": "application/json", Accept: "application/json",
                                             "X-CSRF-Token": PORTAL.csrf } });
  } catch (_) { throw new Error(t("network_error")); }
  if (!response.ok) { const error = new Error(await apiError(response)); error.status = response.status; throw error; }
  return response.json();
}
const num = (v) => Number(v).toLocaleString(PORTAL.lang === "ko" ? "ko-KR" : "en-GB", { maximumFractionDigits: 1 });
const districtLabel = (row) => (PORTAL.lang === "ko" ? (row.district_ko || row.district) : row.district);
function ready() { document.body.dataset.ready = "1"; }

// A value's step (0 to steps - 1) among the others, from the lowest (light) to the highest (dark); null for no value;
// every value the same: the darkest step. The dashboard's sensor layers and the ask page's choropleths shade by it.
function shadeStep(value, values, steps) {
  if (typeof value !== "number") return null;
  const known = values.filter((v) => typeof v === "number");
  const low = Math.min(...known), high = Math.max(...known);
  return high === low ? steps - 1 : Math.min(steps - 1, Math.floor(((value - low) / (high - low)) * steps));
}
