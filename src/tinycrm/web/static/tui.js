// The page's own behaviour (no inline script, so the Content-Security-Policy can forbid it): the Start and
// Restart buttons reload the page without the "delay" parameter, which starts a new session.
"use strict";
function startUrl() {
  const url = new URL(window.location.href);
  url.searchParams.delete("delay");
  url.searchParams.delete("ping");
  return url.pathname + (url.search ? url.search : "");
}
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("button.restart")) {
    button.addEventListener("click", () => {
      window.location.href = startUrl();
    });
  }
});
