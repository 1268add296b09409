/* The signing page's script (was inline; the Content-Security-Policy allows only
   scripts from /static). Its data comes from the page's JSON block #sign-data. */
(function () {
  "use strict";
  var cfg = document.getElementById("sign-data"); if (!cfg) return;
  var D = JSON.parse(cfg.textContent);
  var T = D.t, token = D.token, locale = D.locale, required = D.required;
  var send = document.getElementById("send-code"); if (!send) return;
  var cd = document.getElementById("countdown"), timer = document.getElementById("code-timer");
  var box = document.getElementById("form-msg"), signBtn = document.getElementById("sign");
  var here = "/s/" + token, lang = "lang=" + encodeURIComponent(locale);
  function say(text, ok) { box.className = "form-msg " + (ok ? "ok" : "err"); box.textContent = text; }
  function quiet() { box.className = "form-msg"; box.textContent = ""; }
  var read = document.getElementById("read");
  var cooling = 0, life = 0;
  /* A code only after "I have read" is ticked, and not while the minute runs. */
  function sendable() { send.disabled = cooling > 0 || !read.checked;
    send.title = read.checked ? "" : T.read_first; }
  read.addEventListener("change", sendable);
  function tick() {
    if (cooling > 0) { cooling -= 1; cd.textContent = T.resend_in.replace("{s}", cooling); }
    if (cooling <= 0) { cd.textContent = ""; }
    sendable();
    if (life > 0) { life -= 1; var m = Math.floor(life / 60), s = life % 60;
      timer.textContent = life > 0 ? T.code_valid.replace("{m}", m).replace("{ss}", (s < 10 ? "0" : "") + s)
                                   : T.code_expired; }
  }
  setInterval(tick, 1000);
  if (+send.dataset.cooldown > 0) { cooling = +send.dataset.cooldown + 1; tick(); }
  sendable();
  function message(p, status, headers) {
    var code = p && p.code;
    if (code === "otp_invalid" && p.tries_left) return T.otp_invalid_n.replace("{n}", p.tries_left);
    if (code === "otp_rate_limited" && headers && headers.get("retry-after"))
      return T.otp_rate_limited_n.replace("{n}", headers.get("retry-after"));
    if (code === "authorization_not_pending" && T[p.status_now]) return T[p.status_now];
    return T[code] || (p && p.detail) || T.network + " (" + status + ")";
  }
  function final(code) { return code === "otp_locked" || code === "authorization_not_pending"; }
  async function problemOf(r) { try { return await r.json(); } catch (e) { return {}; } }
  function goBack(q) { location.href = here + "?" + q + "&" + lang; }
  send.addEventListener("click", async function (ev) {
    ev.preventDefault(); quiet();
    var r; try { r = await fetch(here + "/otp", {method: "POST"}); }
    catch (e) { say(T.network, false); return; }
    if (r.status === 204) {
      say(T.code_sent, true); cooling = 61; life = 301; tick();
      document.getElementById("otp").focus(); return;
    }
    var p = await problemOf(r);
    if (final(p.code)) { goBack("err=" + p.code); return; }
    say(T.error + message(p, r.status, r.headers), false);
  });
  var pkBox = document.getElementById("use-passkey");
  var enrolOffer = document.getElementById("enrol-offer"), enrolNext = false;
  var waiting = null;
  /* A new phone: the number has passkeys on other devices, none here. After the SMS code
     the person may create one on this device (the evidence records "new_device"). */
  document.getElementById("enrol-device").addEventListener("click", function () {
    enrolNext = true; enrolOffer.hidden = true;
    document.getElementById("sign-form").requestSubmit(signBtn);
  });
  document.getElementById("sign-form").addEventListener("submit", async function (ev) {
    if (ev.submitter && ev.submitter.id === "send-code") return;
    ev.preventDefault();
    if (waiting) { waiting.abort(); return; }  /* the Sign button cancels a pending passkey */
    quiet(); enrolOffer.hidden = true;
    var otp = document.getElementById("otp").value.trim();
    var body = {otp: otp, read_confirmed: document.getElementById("read").checked};
    signBtn.disabled = true;
    try {
      if (required || (pkBox && pkBox.checked)) {
        if (!window.anxinPasskey || !window.PublicKeyCredential) {
          say(T.passkey_unsupported + (required ? " " + T.passkey_required : ""), false); return; }
        waiting = new AbortController(); signBtn.textContent = T.passkey_cancel;
        var enrol = enrolNext; enrolNext = false;
        try { body.passkey = await window.anxinPasskey(token, otp, function (k) {
                say(T[k], true); signBtn.disabled = false; }, waiting.signal, enrol); }
        catch (e) {
          if (e.problem && final(e.problem.code)) { goBack("err=" + e.problem.code); return; }
          if (e.otherDevices) { say(T.passkey_new_device, false); enrolOffer.hidden = false; return; }
          var text = e.problem ? message(e.problem, e.status) : (T[e.code] || e.message);
          say(T.error + text + (required ? " " + T.passkey_required : ""), false); return;
        }
        waiting = null; signBtn.textContent = T.sign; signBtn.disabled = true;
      }
      say(T.signing, true);
      var r; try { r = await fetch(here + "/sign", {method: "POST",
        headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)}); }
      catch (e) { say(T.network, false); return; }
      if (r.ok) {  /* back to the institution's return_url when it gave one */
        var done = await problemOf(r);
        if (done.return_to) { location.href = done.return_to; return; }
        goBack("msg=signed"); return; }
      var p = await problemOf(r);
      if (final(p.code)) { goBack("err=" + p.code); return; }
      say(T.error + message(p, r.status, r.headers), false);
    } finally { waiting = null; signBtn.textContent = T.sign; signBtn.disabled = false; }
  });
  document.getElementById("decline-form").addEventListener("submit", function (ev) {
    if (!confirm(T.decline_confirm)) ev.preventDefault(); });
})();
