// Checking an mVoting ballot receipt in the browser, exactly as `dasan vote verify` does
// (civic_services/voting/receipts.py): the ballot hashes to the receipt's leaf (RFC 6962: SHA-256(0x00 || ballot)),
// the inclusion proof leads from that leaf to the signed tree head's root (RFC 9162 2.1.3.2), the head's key id is
// the receipt's key's, and the head's Ed25519 signature verifies; optionally the server's current log still extends
// the receipt's head (its key, its head of that size, a later signed head and a consistency proof, RFC 9162 2.1.4.2).
// Hashes and signatures use the browser's WebCrypto (SHA-256, Ed25519) where it has them. A page that is not a
// secure context (served over plain http from another host) has no WebCrypto, and older browsers have no Ed25519
// in it: there the vendored js-sha256 and TweetNaCl (dasan/web/vendor, loaded before this file) do the same
// arithmetic in script. Nothing is sent anywhere unless the server check is asked for, and then only public ledger
// views are read.
//
// Each check is {key, ok, vars}: `key` names the check (format, ballot_hash, poll, inclusion, key_id, signature,
// server_key, log_extends, your_head, later_head, later_signature, consistency); the page words it.
"use strict";
const Receipts = (() => {
  const HEAD_CONTEXT = "dasan-ledger-head/v1\n";
  const encoder = new TextEncoder();

  function hex(bytes) { return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join(""); }

  function fromHex(value, what) {
    if (typeof value !== "string" || !/^[0-9a-fA-F]{64}$/.test(value)) throw new Error(`${what} must be 64 hex characters`);
    const out = new Uint8Array(32);
    for (let i = 0; i < 32; i++) out[i] = parseInt(value.slice(2 * i, 2 * i + 2), 16);
    return out;
  }

  function fromBase64(value) {
    const text = atob(String(value).replace(/\s+/g, ""));
    return Uint8Array.from(text, (c) => c.charCodeAt(0));
  }

  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }

  function same(a, b) { return a.length === b.length && a.every((x, i) => x === b[i]); }

  const webCrypto = () => Boolean(globalThis.crypto && globalThis.crypto.subtle);
  const scripted = () => Boolean(globalThis.sha256 && globalThis.nacl && globalThis.nacl.sign);
  function available() { return webCrypto() || scripted(); }

  async function sha256(bytes) {
    if (webCrypto()) return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
    return Uint8Array.from(globalThis.sha256.array(bytes));
  }
  const leafHash = (data) => sha256(concat(Uint8Array.of(0), data));
  const nodeHash = (left, right) => sha256(concat(Uint8Array.of(1), left, right));

  // Sizes may pass 2^32, so halving is arithmetic, not bit shifts.
  const half = (n) => Math.floor(n / 2);
  const odd = (n) => n % 2 === 1;

  async function verifyInclusion(index, size, leaf, proof, root) {
    if (!(0 <= index && index < size)) return false;
    let fn = index, sn = size - 1, r = leaf;
    for (const p of proof) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        r = await nodeHash(p, r);
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        r = await nodeHash(r, p);
      }
      fn = half(fn); sn = half(sn);
    }
    return sn === 0 && same(r, root);
  }

  async function verifyConsistency(first, second, firstRoot, secondRoot, proof) {
    if (first === second) return proof.length === 0 && same(firstRoot, secondRoot);
    if (first === 0) return proof.length === 0;
    if (first > second || proof.length === 0) return false;
    let path = proof;
    let m = first;
    while (m > 1 && m % 2 === 0) m /= 2;
    if (m === 1) path = [firstRoot, ...proof];  // first is a power of two
    let fn = first - 1, sn = second - 1;
    while (odd(fn)) { fn = half(fn); sn = half(sn); }
    let fr = path[0], sr = path[0];
    for (const c of path.slice(1)) {
      if (sn === 0) return false;
      if (odd(fn) || fn === sn) {
        fr = await nodeHash(c, fr);
        sr = await nodeHash(c, sr);
        while (!odd(fn) && fn !== 0) { fn = half(fn); sn = half(sn); }
      } else {
        sr = await nodeHash(sr, c);
      }
      fn = half(fn); sn = half(sn);
    }
    return same(fr, firstRoot) && same(sr, secondRoot) && sn === 0;
  }

  async function keyId(raw) { return hex(await sha256(raw)).slice(0, 16); }

  function headMessage(poll, size, rootHex, timestamp) {
    return encoder.encode(`${HEAD_CONTEXT}${poll}\n${size}\n${rootHex}\n${timestamp}`);
  }

  // WebCrypto's answer, or null where this browser's WebCrypto is missing or knows no Ed25519.
  async function webCryptoVerify(publicRaw, signature, message) {
    if (!webCrypto()) return null;
    let key;
    try {
      key = await crypto.subtle.importKey("raw", publicRaw, { name: "Ed25519" }, false, ["verify"]);
    } catch (error) {
      if (error && error.name === "NotSupportedError") return null;
      throw error;
    }
    return crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  }

  async function verifySignature(publicB64, message, signatureB64) {
    try {
      const publicRaw = fromBase64(publicB64), signature = fromBase64(signatureB64);
      const answer = await webCryptoVerify(publicRaw, signature, message);
      if (answer !== null) return answer;
      if (publicRaw.length !== 32 || signature.length !== 64) return false;
      return globalThis.nacl.sign.detached.verify(message, signature, publicRaw);
    } catch (_) {
      return false;  // a malformed key or signature does not verify
    }
  }

  function integer(value) {
    const n = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
    if (!Number.isSafeInteger(n)) throw new Error("a size or index is not a whole number");
    return n;
  }

  async function checkHead(head, publicKey, key = "signature") {
    let ok;
    try {
      if (!head || typeof head !== "object") throw new Error("no tree head");
      const message = headMessage(head.poll, integer(head.size), head.root, head.timestamp);
      if (typeof head.signature !== "string") throw new Error("no signature");
      ok = await verifySignature(publicKey, message, head.signature);
    } catch (error) {
      return { key, ok: false, vars: { reason: error.message, malformed: true } };
    }
    return { key, ok, vars: { size: head.size, key_id: head.key_id } };
  }

  // The offline checks of receipts.verify_receipt, in its order.
  async function verifyReceipt(receipt) {
    let ballot, index, head, publicKey, proof, recorded, root, size;
    try {
      if (!receipt || typeof receipt !== "object" || Array.isArray(receipt)) throw new Error("not a JSON object");
      ({ ballot, tree_head: head, public_key: publicKey } = receipt);
      if (typeof ballot !== "string") throw new Error("'ballot' is missing");
      index = integer(receipt.leaf_index);
      if (!head || typeof head !== "object") throw new Error("'tree_head' is missing");
      if (typeof publicKey !== "string") throw new Error("'public_key' is missing");
      if (!Array.isArray(receipt.inclusion_proof)) throw new Error("'inclusion_proof' is missing");
      proof = receipt.inclusion_proof.map((p) => fromHex(p, "a proof hash"));
      recorded = fromHex(receipt.leaf_hash, "leaf_hash");
      root = fromHex(head.root, "the tree head's root");
      size = integer(head.size);
    } catch (error) {
      return [{ key: "format", ok: false, vars: { reason: error.message } }];
    }
    const checks = [];
    const computed = await leafHash(encoder.encode(ballot));
    checks.push({ key: "ballot_hash", ok: same(computed, recorded), vars: { leaf: hex(computed).slice(0, 16) } });
    let poll = null;
    try { const parsed = JSON.parse(ballot); poll = parsed && typeof parsed === "object" ? parsed.poll : null; }
    catch (_) { poll = null; }
    checks.push({ key: "poll", ok: poll !== null && poll !== undefined && poll === receipt.poll && poll === head.poll,
                  vars: { poll: String(poll) } });
    const included = await verifyInclusion(index, size, computed, proof, root);
    checks.push({ key: "inclusion", ok: included, vars: { index, size, root: head.root.slice(0, 16) } });
    let ownId = null;
    try { ownId = await keyId(fromBase64(publicKey)); } catch (_) { ownId = null; }
    checks.push({ key: "key_id", ok: ownId !== null && ownId === head.key_id, vars: { key_id: ownId } });
    checks.push(await checkHead(head, publicKey));
    return checks;
  }

  // receipts.extension_checks: a later head signed by the receipt's key, and a consistency proof to it.
  async function extensionChecks(receipt, later, proof) {
    const head = receipt.tree_head;
    const checks = [await checkHead(later, receipt.public_key, "later_signature")];
    let ok = false;
    try {
      ok = await verifyConsistency(integer(head.size), integer(later.size), fromHex(head.root, "root"),
                                   fromHex(later.root, "root"), (proof || []).map((p) => fromHex(p, "a proof hash")));
    } catch (_) { ok = false; }
    checks.push({ key: "consistency", ok, vars: { size: later.size, first: head.size } });
    return checks;
  }

  // receipts.verify_with_server: `fetch(path, params)` answers [status, JSON or null].
  async function verifyWithServer(receipt, fetchJSON) {
    let poll, size, key;
    try {
      ({ poll, public_key: key } = receipt);
      size = integer(receipt.tree_head.size);
      if (typeof poll !== "string") throw new Error("'poll' is missing");
    } catch (error) {
      return [{ key: "format", ok: false, vars: { reason: error.message } }];
    }
    let [status, answer] = await fetchJSON("/voting/public-key", {});
    if (status !== 200 || !answer || typeof answer !== "object") {
      return [{ key: "server_key", ok: false, vars: { status, missing: true } }];
    }
    if (answer.public_key !== key) return [{ key: "server_key", ok: false, vars: { other: true } }];
    const checks = [{ key: "server_key", ok: true, vars: { key_id: answer.key_id } }];
    const base = `/voting/polls/${encodeURIComponent(poll)}`;
    [status, answer] = await fetchJSON(`${base}/consistency`, { first: size });
    if (status === 404) {
      const [known] = await fetchJSON(base, {});
      return checks.concat([{ key: "log_extends", ok: false,
                              vars: { poll, size, deleted: known === 404, cut: known !== 404,
                                      message: answer && typeof answer === "object" ? answer.message || "" : "" } }]);
    }
    if (status !== 200 || !answer || typeof answer !== "object") {
      return checks.concat([{ key: "log_extends", ok: false,
                              vars: { status, message: (answer && answer.message) || "", failed: true } }]);
    }
    const first = answer.first_head, later = answer.second_head;
    const shown = first && typeof first === "object";
    checks.push({ key: "your_head", ok: Boolean(shown && first.root === receipt.tree_head.root),
                  vars: { size, rewritten: Boolean(shown), deleted: !shown } });
    if (!later || typeof later !== "object") {
      return checks.concat([{ key: "later_head", ok: false, vars: { size: answer.second } }]);
    }
    return checks.concat(await extensionChecks(receipt, later, answer.proof));
  }

  // A fetch over HTTP for verifyWithServer: [status, JSON or null]; a network failure throws.
  async function httpFetch(path, params) {
    const query = new URLSearchParams(params).toString();
    const response = await fetch(path + (query ? `?${query}` : ""), { headers: { Accept: "application/json" } });
    let body = null;
    try { body = await response.json(); } catch (_) { body = null; }
    return [response.status, body];
  }

  return { available, webCrypto, verifyReceipt, verifyWithServer, httpFetch, verifyInclusion, verifyConsistency, sha256, hex };
})();
