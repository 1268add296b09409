/* Passkey sign-in to /me: discoverable credential, user verification required. */
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
  var notice = document.getElementById("notice");
  function say(text) { notice.innerHTML = ""; var d = document.createElement("div");
    d.className = "notice err"; d.textContent = text; notice.appendChild(d); }
  document.getElementById("go").addEventListener("click", async function () {
    try {
      var r = await fetch("/me/passkey/options", {method: "POST"});
      var opts = await r.json(), pk = opts.publicKey;
      pk.challenge = toBuf(pk.challenge);
      (pk.allowCredentials || []).forEach(function (c) { c.id = toBuf(c.id); });
      var c = await navigator.credentials.get({publicKey: pk});
      var body = {challenge_id: opts.challenge_id, credential: {id: c.id, rawId: toB64u(c.rawId),
        type: c.type, clientExtensionResults: {}, response: {
          clientDataJSON: toB64u(c.response.clientDataJSON),
          authenticatorData: toB64u(c.response.authenticatorData),
          signature: toB64u(c.response.signature),
          userHandle: c.response.userHandle ? toB64u(c.response.userHandle) : null}}};
      var v = await fetch("/me/passkey/verify", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)});
      if (v.ok) { location.href = "/me"; return; }
      var p = await v.json(); say((p.detail || p.code));
    } catch (e) { say(e.message || String(e)); }
  });
})();
