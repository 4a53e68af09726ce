// Hotspot map: district and LSOA outlines from the shipped boundaries, flagged cells on top.
// No tile layer: the outlines are the base map, so nothing is fetched from outside.
(function () {
  "use strict";
  function start() {
    var el = document.getElementById("map");
    if (!el || typeof L === "undefined") { return; }
    var cells = JSON.parse(el.getAttribute("data-cells"));
    var district = el.getAttribute("data-district") || "";
    var map = L.map(el, { zoomSnap: 0.25 });
    var cellLayer = L.geoJSON(cells, {
      style: function () { return { color: "#6b1a0e", weight: 1, fillColor: "#d4351c", fillOpacity: 0.75 }; },
      onEachFeature: function (f, layer) {
        var p = f.properties;
        var div = document.createElement("div");
        var h = document.createElement("strong");
        h.textContent = "#" + p.rank + " " + (p.location || ("cell " + p.cell_index));
        var t = document.createElement("p");
        t.textContent = p.reason;
        div.appendChild(h); div.appendChild(t);
        layer.bindPopup(div);
      }
    });
    var url = "/hotspots/outlines.json" + (district ? "?district=" + encodeURIComponent(district) : "");
    fetch(url, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (gj) {
      var outline = L.geoJSON(gj, {
        style: function (f) {
          var lsoa = f.properties.kind === "lsoa";
          var mine = f.properties.name === district;
          return { color: lsoa ? "#b1b4b6" : "#0b0c0c", weight: lsoa ? 0.6 : (mine ? 2.5 : 1.2), fill: false };
        }
      }).addTo(map);
      cellLayer.addTo(map);
      var focus = district ? L.geoJSON({ type: "FeatureCollection", features: gj.features.filter(function (f) { return f.properties.name === district; }) }) : outline;
      map.fitBounds(focus.getBounds(), { padding: [10, 10] });
      el.setAttribute("data-ready", "1");
    });
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", start); } else { start(); }
})();
