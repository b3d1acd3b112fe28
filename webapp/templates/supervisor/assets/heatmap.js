// The heatmap: the procedure's newest diagram in the bpmn-js viewer, each task marked by how many dossiers
// wait there (colour) with a badge saying how many and for how long. Loaded from files, not inline (CSP).
(function () {
  "use strict";
  var root = document.getElementById("heatmap");
  if (!root || typeof BpmnJS === "undefined") { return; }
  var viewer = new BpmnJS({
    container: root.querySelector(".heatmap-canvas"), additionalModules: window.DiagramLanguage.modules()
  });

  function badge(spot) {
    var el = document.createElement("div");
    el.className = "heat-badge level-" + spot.level;
    el.textContent = spot.count;
    el.title = spot.label;
    return el;
  }

  fetch(root.dataset.diagram, { credentials: "same-origin" })
    .then(function (r) { return r.text(); })
    .then(function (xml) { return viewer.importXML(xml); })
    .then(function () { return fetch(root.dataset.spots, { credentials: "same-origin" }); })
    .then(function (r) { return r.json(); })
    .then(function (spots) {
      var canvas = viewer.get("canvas"), overlays = viewer.get("overlays"), registry = viewer.get("elementRegistry");
      canvas.zoom("fit-viewport", "auto");
      var shown = 0;
      spots.forEach(function (spot) {
        if (!registry.get(spot.element)) { return; }
        canvas.addMarker(spot.element, "heat-" + spot.level);
        overlays.add(spot.element, "heat", { position: { top: -12, right: 12 }, html: badge(spot) });
        var wait = document.createElement("div");
        wait.className = "heat-wait";
        wait.textContent = spot.wait;
        overlays.add(spot.element, "heat", { position: { top: -17, left: 0 }, html: wait });
        shown += 1;
      });
      root.dataset.shown = String(shown);
      root.dataset.ready = "true";
    })
    .catch(function (err) {
      root.dataset.ready = "error";
      var p = document.createElement("p");
      p.className = "error";
      p.textContent = root.dataset.failed + " (" + err + ")";
      root.appendChild(p);
    });
})();
