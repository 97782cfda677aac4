/* Tool-access request: the pre-filled reason lists the gaps of the services ticked, and follows
 * the ticks until the person edits it (then it is theirs). Without this script the server does
 * the same when the form is sent (an unedited reason is rewritten for the services ticked). */
(function () {
  "use strict";
  var dataNode = document.getElementById("reason-data");
  var reason = document.getElementById("justification");
  var auto = document.getElementById("justification_auto");
  if (!dataNode || !reason || !auto) { return; }
  var data = JSON.parse(dataNode.textContent);
  var boxes = document.querySelectorAll('input[name="tools"]');

  function same(a, b) { return a.replace(/\s+/g, " ").trim() === b.replace(/\s+/g, " ").trim(); }

  function written() {
    var lines = [data.head], seen = {}, ticked = 0;
    boxes.forEach(function (box) {
      if (!box.checked) { return; }
      ticked += 1;
      (data.gaps[box.value] || []).forEach(function (title) {
        if (!seen[title]) { seen[title] = true; lines.push("- " + title); }
      });
    });
    // Services open to organizations like this one, whatever their gaps (as the server writes).
    if (ticked && lines.length === 1 && data.no_gap) { lines.push("- " + data.no_gap); }
    var max = data.max_lines || 15, gaps = lines.length - 1;
    if (gaps > max) {
      lines = lines.slice(0, max + 1);
      lines.push(window.portalWord(gaps - max > 1 ? "more_gaps_many" : "more_gaps_one", {count: gaps - max}));
    }
    return lines.join("\n");
  }

  boxes.forEach(function (box) {
    box.addEventListener("change", function () {
      if (!same(reason.value, auto.value)) { return; }  // edited: leave it alone
      reason.value = written();
      auto.value = reason.value;
    });
  });
})();
