// On every page. A form shown again with errors moves focus to its error summary, so keyboard and
// screen-reader users land on the list of problems (USWDS / GOV.UK pattern).
(function () {
  "use strict";
  // (A refused action reported as an error message on the next page gets the same treatment.)
  var summary =
    document.getElementById("error-summary") || document.querySelector("[data-focus-on-load]");
  if (summary) summary.focus();
})();
