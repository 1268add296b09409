/* Passkey sign-in to /me: discoverable credential, user verification required.
   Uses the WebAuthn helpers of passkey.js (loaded first). */
(function () {
  "use strict";
  var W = window.anxinWebAuthn, notice = document.getElementById("notice");
  function say(text) { notice.innerHTML = ""; var d = document.createElement("div");
    d.className = "notice err"; d.textContent = text; notice.appendChild(d); }
  document.getElementById("go").addEventListener("click", async function () {
    try {
      var r = await fetch("/me/passkey/options", {method: "POST"});
      var opts = await r.json();
      var c = await navigator.credentials.get({publicKey: W.request(opts.publicKey)});
      var v = await fetch("/me/passkey/verify", {method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({challenge_id: opts.challenge_id, credential: W.asJSON(c)})});
      if (v.ok) { location.href = "/me"; return; }
      var p = await v.json(); say(p.detail || p.code);
    } catch (e) { say(e.message || String(e)); }
  });
})();
