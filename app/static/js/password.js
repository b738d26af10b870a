/* Sulh — live hints while a new password is typed. Progressive enhancement only: the server
   checks the same rules (app/services/passwords.py) and says what is wrong next to the field,
   so the page works the same without this script. Loaded as a file (the CSP allows no inline
   script). Lengths are counted in characters (code points), as the server counts them:
   [...value].length, not value.length, which counts UTF-16 units. */
(function () {
  "use strict";

  function liveRegion(input) {
    var region = document.createElement("p");
    region.className = "hint";
    region.id = input.id + "-live";
    region.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", region);
    var described = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", (described ? described + " " : "") + region.id);
    return region;
  }

  function characters(value) {
    return Array.from(value).length;
  }

  function watchLength(input) {
    var min = parseInt(input.dataset.min, 10);
    var max = parseInt(input.dataset.max, 10);
    var region = liveRegion(input);
    input.addEventListener("input", function () {
      var n = characters(input.value);
      var text = "";
      if (n > 0 && n < min) { text = input.dataset.short; }
      else if (n > max) { text = input.dataset.long; }
      else if (n > 0) { text = input.dataset.enough; }
      region.textContent = text.replace("{n}", String(n));
    });
  }

  function watchMatch(input) {
    var other = document.getElementById(input.dataset.sameAs);
    if (!other) { return; }
    var region = liveRegion(input);
    function check() {
      region.textContent = input.value && input.value !== other.value ? input.dataset.differ : "";
    }
    input.addEventListener("input", check);
    other.addEventListener("input", check);
  }

  document.querySelectorAll("input[data-min][data-max]").forEach(watchLength);
  document.querySelectorAll("input[data-same-as]").forEach(watchMatch);
})();
