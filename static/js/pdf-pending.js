// Polls the PDF's progress (same URL, ?progress=1, same access checks) and starts the download
// when it is ready. Without JavaScript the page's <noscript> refresh does the same, more slowly.
(function () {
  "use strict";
  var box = document.getElementById("pdf-pending");
  if (!box) return;
  var status = document.getElementById("pdf-status");
  var ready = document.getElementById("pdf-ready");
  var what = status.textContent;
  var tries = 0;

  function say(text) {
    if (status.textContent !== text) status.textContent = text;
  }

  function poll() {
    tries += 1;
    fetch(box.dataset.progressUrl, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (progress) {
        if (progress.state === "ready") {
          say(window.portalWord("pdf_ready"));
          ready.hidden = false;
          window.location.assign(box.dataset.downloadUrl);
          return;
        }
        if (progress.state === "failed") {
          // The failed job is gone now: the link below starts a fresh one.
          say(progress.title + ". " + progress.message);
          ready.textContent = "";
          var again = document.createElement("a");
          again.className = "usa-button";
          again.href = box.dataset.downloadUrl;
          again.textContent = window.portalWord("try_again");
          ready.appendChild(again);
          ready.hidden = false;
          return;
        }
        if (progress.state === "rendering") say(window.portalWord("pdf_rendering"));
        else if (progress.position) say(window.portalWord("pdf_waiting", {position: progress.position}));
        else say(window.portalWord("pdf_next"));
        window.setTimeout(poll, Math.min(1000 + tries * 250, 4000));
      })
      .catch(function () {
        say(window.portalWord("checking_again", {status: what}));
        window.setTimeout(poll, 4000);
      });
  }
  window.setTimeout(poll, 1000);
})();
