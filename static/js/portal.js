// On every page. A form shown again with errors moves focus to its error summary, so keyboard and
// screen-reader users land on the list of problems (USWDS / GOV.UK pattern).
(function () {
  "use strict";
  var summary = document.getElementById("error-summary");
  if (summary) summary.focus();
})();
