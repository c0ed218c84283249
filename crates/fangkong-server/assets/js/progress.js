// Long operations started from a form show that they are under way. A file upload (a form
// with enctype multipart/form-data) and every form marked data-progress, once submitted,
// show a progress bar with the seconds elapsed ("uploading and processing") until the
// server's answer replaces the page, and disable their submit buttons so the same list is
// not sent twice. The browser submits the form itself (nothing about the request changes);
// the page stays live until the answer arrives. No inline script (strict
// Content-Security-Policy); without JavaScript the form posts as usual.
(function () {
  "use strict";
  var zh = (document.documentElement.lang || "zh-CN").indexOf("zh") === 0;
  function ready(fn) { if (document.readyState !== "loading") { fn(); } else { document.addEventListener("DOMContentLoaded", fn); } }
  function show(form) {
    var box = document.createElement("div");
    box.className = "form-progress";
    box.setAttribute("role", "status");
    box.setAttribute("aria-live", "polite");
    var bar = document.createElement("progress");
    var text = document.createElement("span");
    box.appendChild(bar);
    box.appendChild(text);
    form.appendChild(box);
    var started = Date.now();
    function tick() {
      var s = Math.round((Date.now() - started) / 1000);
      text.textContent = zh ? ("正在提交和处理… " + s + " 秒") : ("Sending and processing… " + s + " s");
    }
    tick();
    setInterval(tick, 1000);
  }
  ready(function () {
    document.addEventListener("submit", function (event) {
      var form = event.target;
      if (!(form instanceof HTMLFormElement) || event.defaultPrevented) { return; }
      var upload = (form.getAttribute("enctype") || "").toLowerCase() === "multipart/form-data";
      if (!upload && form.dataset.progress === undefined) { return; }
      if ((form.getAttribute("method") || "get").toLowerCase() !== "post") { return; }
      show(form);
      // After the browser has taken the form's data (a disabled submitter would be left
      // out of it).
      setTimeout(function () {
        Array.prototype.forEach.call(form.querySelectorAll("button, input[type=submit]"), function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();
