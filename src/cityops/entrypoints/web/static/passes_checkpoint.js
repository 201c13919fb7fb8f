// 卡口核验 — the checkpoint page. Online: POST /api/v1/passes/scan. Offline (or when the server
// does not answer within 1.5 s): the pass is verified here, from the key list and revocation list
// downloaded while online (signatures checked against the pinned list key with WebCrypto), and the
// scan is queued in localStorage with its own scan id, uploaded later (the server keeps each once).
(function () {
  "use strict";
  const root = document.getElementById("checkpoint");
  if (!root) return;
  const $ = (id) => document.getElementById(id);
  const store = window.localStorage;
  const T = JSON.parse(root.dataset.texts);
  const B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";

  function b45decode(s) {
    const out = [];
    for (let i = 0; i < s.length; i += 3) {
      const chunk = s.slice(i, i + 3);
      let n = 0;
      for (let j = chunk.length - 1; j >= 0; j--) {
        const v = B45.indexOf(chunk[j]);
        if (v < 0) throw new Error("malformed");
        n = n * 45 + v;
      }
      if (chunk.length === 3) { if (n > 0xffff) throw new Error("malformed"); out.push(n >> 8, n & 0xff); }
      else if (chunk.length === 2) { if (n > 0xff) throw new Error("malformed"); out.push(n); }
      else throw new Error("malformed");
    }
    return new Uint8Array(out);
  }
  async function inflate(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("deflate"));
    const buf = new Uint8Array(await new Response(stream).arrayBuffer());
    if (buf.length > 16384) throw new Error("too_large");
    return buf;
  }
  // A small CBOR decoder: what COSE_Sign1 and CWT claims use (ints, bytes, text, arrays, maps, tags, simple).
  function cbor(bytes) {
    let p = 0;
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    function need(n) { if (p + n > bytes.length) throw new Error("malformed"); }
    function arg(info) {
      if (info < 24) return info;
      const size = {24: 1, 25: 2, 26: 4, 27: 8}[info];
      if (!size) throw new Error("malformed");
      need(size);
      let v = 0;
      for (let i = 0; i < size; i++) v = v * 256 + bytes[p + i];
      p += size;
      return v;
    }
    function item(depth) {
      if (depth > 16) throw new Error("malformed");
      need(1);
      const b = bytes[p++], major = b >> 5, info = b & 31;
      if (major === 7) {
        if (info === 20) return false; if (info === 21) return true; if (info === 22 || info === 23) return null;
        if (info === 25) { need(2); p += 2; return 0; }
        if (info === 26) { need(4); const f = dv.getFloat32(p); p += 4; return f; }
        if (info === 27) { need(8); const f = dv.getFloat64(p); p += 8; return f; }
        throw new Error("malformed");
      }
      const n = arg(info);
      if (major === 0) return n;
      if (major === 1) return -1 - n;
      if (major === 2) { need(n); const v = bytes.slice(p, p + n); p += n; return v; }
      if (major === 3) { need(n); const v = new TextDecoder("utf-8", {fatal: true}).decode(bytes.slice(p, p + n)); p += n; return v; }
      if (major === 4) { const a = []; for (let i = 0; i < n; i++) a.push(item(depth + 1)); return a; }
      if (major === 5) { const m = new Map(); for (let i = 0; i < n; i++) { const k = item(depth + 1); m.set(k, item(depth + 1)); } return m; }
      if (major === 6) return {tag: n, value: item(depth + 1)};
      throw new Error("malformed");
    }
    const v = item(0);
    if (p !== bytes.length) throw new Error("malformed");
    return v;
  }
  function bstr(b) {
    const n = b.length;
    const head = n < 24 ? [0x40 | n] : n < 256 ? [0x58, n] : [0x59, n >> 8, n & 0xff];
    return [...head, ...b];
  }
  const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  const unhex = (h) => new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16)));
  const b64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const b64u = (s) => b64(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  const ECDSA = {name: "ECDSA", hash: "SHA-256"};
  const importSpki = (spki) => crypto.subtle.importKey("spki", b64(spki), {name: "ECDSA", namedCurve: "P-256"}, false, ["verify"]);

  async function verifyList(envelope, anchor) {
    const key = await importSpki(anchor.spki);
    const payload = b64u(envelope.payload);
    if (envelope.alg !== "ES256" || !(await crypto.subtle.verify(ECDSA, key, b64u(envelope.signature), payload)))
      throw new Error("list signature");
    return JSON.parse(new TextDecoder().decode(payload));
  }

  // ---- the offline bundle (localStorage) ----
  const bundle = {
    anchor: JSON.parse(store.getItem("pass.anchor") || "null"),
    keys: JSON.parse(store.getItem("pass.keys") || "null"),
    rev: JSON.parse(store.getItem("pass.rev") || '{"upto":0,"hashes":[]}'),
  };
  async function refreshLists() {
    try {
      const anchor = await (await fetch("/api/v1/passes/anchor")).json();
      if (bundle.anchor && bundle.anchor.fingerprint !== anchor.fingerprint) { status(T.anchor_changed, "warn"); return; }
      if (!bundle.anchor) { bundle.anchor = anchor; store.setItem("pass.anchor", JSON.stringify(anchor)); }
      const keys = await verifyList(await (await fetch("/api/v1/passes/keys")).json(), bundle.anchor);
      const rdoc = await verifyList(await (await fetch("/api/v1/passes/revocations?since=" + bundle.rev.upto)).json(), bundle.anchor);
      if (rdoc.since === bundle.rev.upto) {
        bundle.rev = {upto: rdoc.upto, hashes: Array.from(new Set([...bundle.rev.hashes, ...rdoc.hashes]))};
      }
      bundle.keys = keys;
      store.setItem("pass.keys", JSON.stringify(keys));
      store.setItem("pass.rev", JSON.stringify(bundle.rev));
      $("lists-age").textContent = new Date().toLocaleString();
      await syncQueue();
    } catch (e) { /* offline: keep what we have */ }
  }

  async function verifyOffline(text, checkpoint, direction, now) {
    if (!bundle.keys) throw new Error("no lists");
    const cp = bundle.keys.checkpoints.find((c) => c.code === checkpoint);
    if (!cp) throw new Error("no lists");
    if (text.length > 8192) return {reason: "too_large"};
    if (!text.startsWith(bundle.keys.prefix)) return {reason: "wrong_prefix"};
    let sign1, claims;
    try {
      let obj = cbor(await inflate(b45decode(text.slice(bundle.keys.prefix.length))));
      if (obj && obj.tag === 18) obj = obj.value;
      if (!Array.isArray(obj) || obj.length !== 4 || !(obj[0] instanceof Uint8Array) || !(obj[2] instanceof Uint8Array) || !(obj[3] instanceof Uint8Array)) return {reason: "malformed"};
      sign1 = obj;
      const phdr = obj[0].length ? cbor(obj[0]) : new Map();
      if (phdr.get(1) !== -7) return {reason: "wrong_algorithm"};
      const kid = phdr.get(4) || (obj[1] instanceof Map ? obj[1].get(4) : null);
      const key = kid && bundle.keys.keys.find((k) => k.kid === hex(kid));
      if (!key) return {reason: "unknown_key"};
      if (key.status === "withdrawn") return {reason: "key_withdrawn"};
      const tbs = new Uint8Array([0x84, 0x6a, ...new TextEncoder().encode("Signature1"), ...bstr(obj[0]), 0x40, ...bstr(obj[2])]);
      if (obj[3].length !== 64 || !(await crypto.subtle.verify(ECDSA, await importSpki(key.spki), obj[3], tbs))) return {reason: "bad_signature"};
      claims = cbor(obj[2]);
    } catch (e) { return {reason: e.message === "too_large" ? "too_large" : "malformed"}; }
    const p = claims instanceof Map ? claims.get(-70001) : null;
    const cti = claims instanceof Map ? claims.get(7) : null;
    if (!(p instanceof Map) || !(cti instanceof Uint8Array) || cti.length !== 16) return {reason: "malformed"};
    const pass = {id: hex(cti), name: p.get("n"), id_masked: p.get("i"), area: p.get("a"), directions: p.get("d"),
                  expires_at: new Date(claims.get(4) * 1000).toISOString(), valid_from: claims.get(5)};
    const h = hex(new Uint8Array(await crypto.subtle.digest("SHA-256", cti)).slice(0, 16));
    const t = now.getTime() / 1000;
    let reason = "ok";
    if (bundle.rev.hashes.includes(h)) reason = "revoked";
    else if (t >= claims.get(4)) reason = "expired";
    else if (t + 300 < claims.get(5)) reason = "not_yet_valid";
    else if (pass.area !== cp.area) reason = "wrong_area";
    else if (!pass.directions.includes(direction)) reason = "wrong_direction";
    return {reason, pass};
  }

  // ---- the queue of offline scans ----
  const queue = () => JSON.parse(store.getItem("pass.queue") || "[]");
  function showQueue() { $("queue-count").textContent = queue().length; }
  async function syncQueue() {
    const q = queue();
    if (!q.length) return;
    const r = await fetch("/api/v1/passes/scans", {method: "POST", headers: {"Content-Type": "application/json"},
                                                    body: JSON.stringify({scans: q.slice(0, 500)})});
    if (r.ok) {
      const sent = new Set(q.slice(0, 500).map((s) => s.scan_id));
      store.setItem("pass.queue", JSON.stringify(queue().filter((s) => !sent.has(s.scan_id))));
      showQueue();
    }
  }

  function status(text, kind) { const s = $("net-status"); s.textContent = text; s.className = "net " + (kind || ""); }
  function show(result, reason, pass, mode) {
    const box = $("verdict");
    box.className = "verdict " + (result === "ALLOW" ? "allow" : "deny");
    $("verdict-word").textContent = result === "ALLOW" ? T.allow : T.deny;
    $("verdict-reason").textContent = T.reasons[reason] || reason;
    $("verdict-who").textContent = pass ? `${pass.name} ${pass.id_masked} · ${pass.area} · ${T.until} ${new Date(pass.expires_at).toLocaleString()}` : "";
    $("verdict-mode").textContent = mode === "offline" ? T.offline_mode : "";
    box.hidden = false;
    if (navigator.vibrate) navigator.vibrate(result === "ALLOW" ? 80 : [200, 100, 200]);
  }

  async function check(text) {
    text = (text || "").replace(/^[\r\n\t]+|[\r\n\t]+$/g, "");  // not spaces: " " is a Base45 digit
    if (!text) return;
    const checkpoint = $("cp").value, direction = document.querySelector("input[name=dir]:checked").value;
    const scanId = (crypto.randomUUID ? crypto.randomUUID() : Date.now() + "-" + Math.random()).replace(/[^A-Za-z0-9_.:-]/g, "");
    try {
      const ctl = new AbortController();
      const timer = setTimeout(() => ctl.abort(), 1500);
      const r = await fetch("/api/v1/passes/scan", {method: "POST", signal: ctl.signal, headers: {"Content-Type": "application/json"},
        body: JSON.stringify({qr: text, checkpoint, direction, scan_id: scanId})});
      clearTimeout(timer);
      if (r.status >= 500) throw new Error("server");
      const d = await r.json();
      if (!r.ok) { show("DENY", d.message || "", null, "online"); return; }
      status(T.online, "ok");
      show(d.result, d.reason, d.pass, "online");
    } catch (e) {
      status(T.offline, "warn");
      let v;
      try { v = await verifyOffline(text, checkpoint, direction, new Date()); }
      catch (e2) { show("DENY", T.no_lists, null, "offline"); return; }
      const result = v.reason === "ok" ? "ALLOW" : "DENY";
      show(result, v.reason, v.pass, "offline");
      const q = queue();
      q.push({scan_id: scanId, qr: text.slice(0, 8192), checkpoint, direction, scanned_at: new Date().toISOString(),
              result: result.toLowerCase(), reason: v.reason});
      store.setItem("pass.queue", JSON.stringify(q));
      showQueue();
    }
  }

  // The scanner gun types the code and presses Enter.
  $("scan-form").addEventListener("submit", (ev) => { ev.preventDefault(); const f = $("scan-text"); check(f.value); f.value = ""; f.focus(); });
  $("cp").addEventListener("change", () => store.setItem("pass.cp", $("cp").value));
  if (store.getItem("pass.cp")) $("cp").value = store.getItem("pass.cp");

  // Camera scanning with the BarcodeDetector API where the browser has it.
  const camBtn = $("camera");
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { camBtn.disabled = true; camBtn.title = T.no_camera; $("cam-note").hidden = false; }
  let streaming = null;
  camBtn.addEventListener("click", async () => {
    if (streaming) { streaming.getTracks().forEach((t) => t.stop()); streaming = null; $("video").hidden = true; return; }
    try {
      const detector = new BarcodeDetector({formats: ["qr_code"]});
      streaming = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
      const video = $("video");
      video.srcObject = streaming; video.hidden = false; await video.play();
      let last = "", lastAt = 0;
      const tick = async () => {
        if (!streaming) return;
        try {
          const codes = await detector.detect(video);
          if (codes.length && (codes[0].rawValue !== last || Date.now() - lastAt > 3000)) {
            last = codes[0].rawValue; lastAt = Date.now(); await check(last);
          }
        } catch (e) { /* a frame that cannot be read */ }
        setTimeout(tick, 150);
      };
      tick();
    } catch (e) { status(T.no_camera, "warn"); }
  });

  showQueue();
  refreshLists();
  setInterval(refreshLists, 5 * 60 * 1000);
  window.addEventListener("online", refreshLists);
  $("scan-text").focus();
})();
