// The words scripts write, in the reader's language (base.html's #portal-words, from the
// server's catalogs): portalWord("saved_at", {time: "9:14"}). The key itself if the block is
// missing (a page built without base.html): never a blank.
window.portalWord = (function () {
  "use strict";
  var node = document.getElementById("portal-words");
  var words = {};
  try { words = node ? JSON.parse(node.textContent) : {}; } catch (e) { words = {}; }
  return function (key, values) {
    var text = words[key] || key;
    return text.replace(/%\((\w+)\)s/g, function (whole, name) {
      return values && name in values ? String(values[name]) : whole;
    });
  };
})();

// On every page. A form shown again with errors moves focus to its error summary, so keyboard and
// screen-reader users land on the list of problems (USWDS / GOV.UK pattern).
(function () {
  "use strict";
  // (A refused action reported as an error message on the next page gets the same treatment.)
  var summary =
    document.getElementById("error-summary") || document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
})();

// A link to something inside a closed accordion panel (a known-exploited product, a plan action)
// or a folded list (an answer in place) opens it first, so the link never seems to go nowhere.
(function () {
  "use strict";
  function reveal() {
    var id;
    try { id = decodeURIComponent(window.location.hash.slice(1)); } catch (e) { return; }
    var target = id && document.getElementById(id);
    if (!target) return;
    // A folded list (<details>) that holds it opens too.
    for (var folded = target.closest("details:not([open])"); folded;
         folded = folded.parentElement && folded.parentElement.closest("details:not([open])")) {
      folded.open = true;
      target.scrollIntoView();
    }
    var panel = target.closest(".usa-accordion__content");
    if (panel && panel.hidden) {
      var button = document.querySelector('[aria-controls="' + panel.id + '"]');
      if (button) button.click();
      target.scrollIntoView();
    }
  }
  window.addEventListener("hashchange", reveal);
  window.addEventListener("load", reveal);
})();
