/* Passkey sign-in to /me: discoverable credential, user verification required.
   Uses the WebAuthn helpers of passkey.js (loaded first). The messages are the page's
   (data-* of the button), in the page's one language; never the server's English. */
(function () {
  "use strict";
  var W = window.anxinWebAuthn, notice = document.getElementById("notice"),
      go = document.getElementById("go");
  function say(text) { notice.innerHTML = ""; var d = document.createElement("div");
    d.className = "notice err"; d.textContent = text; notice.appendChild(d); }
  go.addEventListener("click", async function () {
    if (!window.PublicKeyCredential || !navigator.credentials) {
      say(go.dataset.unsupported); return;
    }
    try {
      var r = await fetch("/me/passkey/options", {method: "POST"});
      var opts = await r.json();
      var c = await navigator.credentials.get({publicKey: W.request(opts.publicKey)});
      var v = await fetch("/me/passkey/verify", {method: "POST",
        headers: {"Content-Type": "application/json"},
        body: JSON.stringify({challenge_id: opts.challenge_id, credential: W.asJSON(c)})});
      if (v.ok) { location.href = "/me"; return; }
      say(go.dataset.failed);
    } catch (e) {
      say(e && e.name === "NotAllowedError" ? go.dataset.cancelled : go.dataset.failed);
    }
  });
})();
