// Search as you type: the search form works without this; with it, the list follows the typing.
(function () {
  "use strict";
  var box = document.getElementById("q");
  var results = document.getElementById("results");
  if (!box || !results || !window.fetch) return;
  var timer = null, latest = 0;
  box.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () {
      var seq = ++latest, q = box.value;
      var url = box.getAttribute("data-live") + "?partial=1&q=" + encodeURIComponent(q);
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null || seq !== latest) return;
          results.innerHTML = html; // rendered and escaped by the server
          history.replaceState(null, "", "/contacts?q=" + encodeURIComponent(q));
        })
        .catch(function () {});
    }, 180);
  });
})();
