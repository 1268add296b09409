// The template editor's live preview: the form is posted to /console/templates/preview
// (as the "Preview" button does without script) a moment after each change; the answer
// is the letter PDF's pages as images, drawn by the PDF renderer itself.
(function () {
  "use strict";
  var form = document.getElementById("template-form");
  var box = document.getElementById("preview");
  if (!form || !box) { return; }
  var pages = document.getElementById("preview-pages");
  var error = document.getElementById("preview-error");
  var timer = null;
  var seq = 0;

  function show(urls) {
    pages.textContent = "";
    urls.forEach(function (src, i) {
      var img = document.createElement("img");
      img.className = "page";
      img.src = src;
      img.alt = box.dataset.page.replace("{n}", String(i + 1));
      pages.appendChild(img);
    });
    error.hidden = true;
    box.dataset.state = "ready";
  }

  function fail(text) {
    error.textContent = box.dataset.failed + text;
    error.hidden = false;
    box.dataset.state = "failed";
  }

  function refresh() {
    var mine = ++seq;
    box.dataset.state = "loading";
    fetch("/console/templates/preview", {
      method: "POST", credentials: "same-origin",
      headers: {"Accept": "application/json"},
      body: new URLSearchParams(new FormData(form))
    }).then(function (r) {
      return r.json().then(function (body) { return {ok: r.ok, body: body}; });
    }).then(function (res) {
      if (mine !== seq) { return; }
      if (res.ok) { show(res.body.pages); } else { fail(res.body.detail || ""); }
    }).catch(function () { if (mine === seq) { fail(""); } });
  }

  function later() {
    if (timer) { clearTimeout(timer); }
    timer = setTimeout(refresh, 500);
  }

  form.addEventListener("input", later);
  form.addEventListener("change", later);
  if (document.getElementById("body").value.trim()) { refresh(); }
}());
