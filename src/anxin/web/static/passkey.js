/* Anxin signing page: the passkey step (WebAuthn), loaded only when passkeys are installed.
 *
 * window.anxinPasskey(token, otp, progress, signal, enrol) -> {challenge_id, credential}
 *   Asks the server for assertion options whose challenge commits to the letter (the SMS
 *   code proves the phone first); when the subject has no passkey yet, registers one
 *   (navigator.credentials.create) and then asks again; then gets the assertion
 *   (navigator.credentials.get); `signal` (an AbortSignal) lets the person cancel.
 *   `enrol` registers a passkey on this device even when the number has passkeys
 *   elsewhere (a new phone: the SMS code is the proof). Errors carry .problem (a server
 *   problem document) or .code ("passkey_cancelled", "passkey_unsupported"); an assertion
 *   that failed while the number has passkeys on other devices carries .otherDevices.
 */
(function () {
  "use strict";
  function toBuf(s) {
    s = s.replace(/-/g, "+").replace(/_/g, "/"); while (s.length % 4) s += "=";
    var bin = atob(s), out = new Uint8Array(bin.length);
    for (var i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out.buffer;
  }
  function toB64u(buf) {
    var bytes = new Uint8Array(buf), bin = "";
    for (var i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }
  function failure(code, message) { var e = new Error(message || code); e.code = code; return e; }
  async function post(url, body) {
    var r = await fetch(url, {method: "POST", headers: {"Content-Type": "application/json"},
                              body: JSON.stringify(body)});
    var data = {}; try { data = await r.json(); } catch (e) { data = {}; }
    if (!r.ok) { var err = failure(data.code || "network", data.detail); err.problem = data;
                 err.status = r.status; throw err; }
    return data;
  }
  function creation(o) {
    o.challenge = toBuf(o.challenge); o.user.id = toBuf(o.user.id);
    (o.excludeCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    return o;
  }
  function request(o) {
    o.challenge = toBuf(o.challenge);
    (o.allowCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
    return o;
  }
  function asJSON(c) {
    var r = c.response, out = {id: c.id, rawId: toB64u(c.rawId), type: c.type,
      clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
      response: {clientDataJSON: toB64u(r.clientDataJSON)}};
    if (c.authenticatorAttachment) out.authenticatorAttachment = c.authenticatorAttachment;
    if (r.attestationObject) {
      out.response.attestationObject = toB64u(r.attestationObject);
      out.response.transports = r.getTransports ? r.getTransports() : [];
    } else {
      out.response.authenticatorData = toB64u(r.authenticatorData);
      out.response.signature = toB64u(r.signature);
      out.response.userHandle = r.userHandle ? toB64u(r.userHandle) : null;
    }
    return out;
  }
  async function ceremony(run, signal) {
    if (signal && signal.aborted) throw failure("passkey_cancelled");
    /* Cancelling wins at once, even where a browser keeps its own prompt open. */
    var cancelled = new Promise(function (resolve, reject) {
      if (signal) signal.addEventListener("abort", function () {
        reject(failure("passkey_cancelled")); }, {once: true});
    });
    var c, pending = run();
    pending.catch(function () { return null; });
    try { c = await Promise.race([pending, cancelled]); }
    catch (e) { throw failure("passkey_cancelled", e && e.message); }
    if (!c) throw failure("passkey_cancelled");
    return c;
  }
  // Shared with the portal's passkey sign-in (portal-passkey.js).
  window.anxinWebAuthn = {toBuf: toBuf, toB64u: toB64u, request: request, asJSON: asJSON};
  window.anxinPasskey = async function (token, otp, progress, signal, enrol) {
    if (!window.PublicKeyCredential || !navigator.credentials) throw failure("passkey_unsupported");
    var base = "/s/" + token + "/passkey/";
    var opts = await post(base + "assertion/options", {otp: otp});
    var fresh = !opts.registered || !!enrol;
    if (fresh) {
      var reg = await post(base + "register/options", {otp: otp});
      progress("passkey_register");
      var made = await ceremony(function () {
        return navigator.credentials.create({publicKey: creation(reg.publicKey), signal: signal});
      }, signal);
      await post(base + "register/verify", {challenge_id: reg.challenge_id, credential: asJSON(made)});
      opts = await post(base + "assertion/options", {otp: otp});
    }
    progress("passkey_wait");
    var got;
    try {
      got = await ceremony(function () {
        return navigator.credentials.get({publicKey: request(opts.publicKey), signal: signal});
      }, signal);
    } catch (e) { if (!fresh) e.otherDevices = true; throw e; }
    return {challenge_id: opts.challenge_id, credential: asJSON(got)};
  };
})();
