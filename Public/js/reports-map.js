// The Open City map: reports for the visible area as GeoJSON, drawn as circles whether or not the
// tiles load. The list below the map is the same data without JavaScript.
(function () {
  "use strict";
  var element = document.getElementById("reports-map");
  if (!element || typeof L === "undefined") return;
  var colours = { new: "#8a5a00", accepted: "#0b5cad", in_progress: "#6b3fa0", resolved: "#1a7f37", rejected: "#6b7280", not_resolved: "#b42318" };
  var map = L.map(element).setView([49.4229, 26.9871], 13);
  L.tileLayer(element.getAttribute("data-tiles"), { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
  var layer = L.layerGroup().addTo(map);
  var notice = L.control({ position: "topright" });
  notice.onAdd = function () { var div = L.DomUtil.create("div", "map-notice"); div.hidden = true; return div; };
  notice.addTo(map);
  var base = element.getAttribute("data-geojson");
  var pending = null;

  function load() {
    if (pending) pending.abort();
    var bounds = map.getBounds();
    var url = base + (base.indexOf("?") < 0 ? "?" : "&") + "bbox=" + [bounds.getWest(), bounds.getSouth(), bounds.getEast(), bounds.getNorth()]
      .map(function (n) { return Math.max(-180, Math.min(180, n)).toFixed(6); }).join(",");
    pending = new AbortController();
    fetch(url, { signal: pending.signal, headers: { Accept: "application/geo+json" } })
      .then(function (response) { return response.json(); })
      .then(function (collection) {
        layer.clearLayers();
        collection.features.forEach(function (feature) {
          var c = feature.geometry.coordinates;
          L.circleMarker([c[1], c[0]], { radius: 7, color: colours[feature.properties.status] || "#333", fillOpacity: 0.7 })
            .bindPopup('<a href="' + feature.properties.url + '">#' + feature.id + "</a>")
            .addTo(layer);
        });
        var box = notice.getContainer();
        box.hidden = !collection.truncated;
        box.textContent = collection.truncated ? element.getAttribute("data-zoom-in") : "";
      })
      .catch(function () {});
  }
  map.on("moveend", load);
  load();
})();
