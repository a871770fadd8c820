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
