// Keeps a petition's signature count and progress bar current without reloading the page.
// The page works without it: the server renders the count at load time.
(function () {
  "use strict";
  var counter = document.querySelector("[data-live-count]");
  if (!counter || !window.fetch) { return; }
  var progress = document.querySelector("[data-live-progress]");
  var url = counter.getAttribute("data-live-count");
  function refresh() {
    if (document.hidden) { return; }
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.ok ? response.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        counter.textContent = String(data.signatures);
        if (progress) { progress.value = data.signatures; progress.textContent = Math.min(100, Math.floor(data.signatures * 100 / data.threshold)) + "%"; }
      })
      .catch(function () {});
  }
  setInterval(refresh, 3000);
  document.addEventListener("visibilitychange", refresh);
}());
