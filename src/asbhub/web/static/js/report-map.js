// The report form's map: the only part of the form that needs JavaScript. It writes the pin's
// position into the hidden pin_lat / pin_lon fields; the address field works without it.
(function () {
  "use strict";
  var block = document.querySelector(".js-map-block");
  var lat = document.getElementById("pin_lat");
  var lon = document.getElementById("pin_lon");
  var status = document.getElementById("pin-status");
  var clear = document.getElementById("pin-clear");
  if (!block || !lat || !lon || !window.L) return;
  block.hidden = false;
  var help = document.getElementById("map-help");
  if (help) {
    help.textContent += " With a keyboard: focus the map, move it with the arrow keys and press Enter to put the pin in the middle.";
  }

  var map = window.L.map("report-map", { attributionControl: false, keyboard: true })
    .setView([51.78, 0.6], 9);
  var marker = null;

  function say(text) {
    if (status) status.textContent = text;
  }

  // "Remove the pin" only when there is one to remove.
  function showClear(on) {
    if (clear) clear.hidden = !on;
  }

  function setPin(latlng) {
    var la = Math.round(latlng.lat * 1e6) / 1e6;
    var lo = Math.round(latlng.lng * 1e6) / 1e6;
    lat.value = String(la);
    lon.value = String(lo);
    if (marker) {
      marker.setLatLng(latlng);
    } else {
      marker = window.L.marker(latlng, { draggable: true, keyboard: true, title: "Where it happened" }).addTo(map);
      marker.on("dragend", function () { setPin(marker.getLatLng()); });
    }
    showClear(true);
    say("Pin placed at latitude " + la.toFixed(5) + ", longitude " + lo.toFixed(5) + ".");
  }

  fetch("/report/map.geojson")
    .then(function (r) { return r.json(); })
    .then(function (data) {
      // Drawn only, not interactive: Leaflet makes every shape with a tooltip a tab stop, so
      // keyboard users met 14 unnamed council shapes before the zoom buttons. Clicks fall
      // through to the map, which places the pin.
      var layer = window.L.geoJSON(data, {
        interactive: false,
        style: { color: "#1b2a4a", weight: 1, fillColor: "#ffcc00", fillOpacity: 0.1 },
      }).addTo(map);
      if (!marker) map.fitBounds(layer.getBounds());
    })
    .catch(function () { say("The map could not load. Describe the place in the box above instead."); });

  map.on("click", function (e) { setPin(e.latlng); });
  map.getContainer().addEventListener("keydown", function (e) {
    if (e.target === map.getContainer() && (e.key === "Enter" || e.key === " ")) {
      e.preventDefault();
      setPin(map.getCenter());
    }
  });
  if (clear) {
    clear.addEventListener("click", function () {
      if (marker) { map.removeLayer(marker); marker = null; }
      lat.value = "";
      lon.value = "";
      showClear(false);
      say("No pin placed.");
      map.getContainer().focus();
    });
  }
  if (lat.value && lon.value) {
    var start = window.L.latLng(parseFloat(lat.value), parseFloat(lon.value));
    setPin(start);
    map.setView(start, 14);
  }
})();
