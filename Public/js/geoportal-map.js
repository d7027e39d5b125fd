// The geoportal map: each ticked register is read from OGC API – Features for the visible area and
// drawn as vector GeoJSON, so it shows even when the tiles do not load. Every object links to its page.
(function () {
  "use strict";
  var element = document.getElementById("gis-map");
  if (!element || typeof L === "undefined") return;
  var map = L.map(element).setView([49.4229, 26.9871], 14);
  L.tileLayer(element.getAttribute("data-tiles"), { maxZoom: 19, attribution: "&copy; OpenStreetMap" }).addTo(map);
  var community = element.getAttribute("data-community");
  var layers = {};
  var boxes = document.querySelectorAll("#layers input[data-layer]");
  document.querySelectorAll("[data-swatch]").forEach(function (swatch) { swatch.style.background = swatch.getAttribute("data-swatch"); });

  function load(box) {
    var code = box.getAttribute("data-code");
    if (layers[code]) { map.removeLayer(layers[code]); delete layers[code]; }
    if (!box.checked) return;
    var b = map.getBounds();
    var url = box.getAttribute("data-layer") + "?limit=1000&bbox=" + [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (n) { return n.toFixed(6); }).join(",");
    fetch(url, { headers: { Accept: "application/geo+json" } }).then(function (r) { return r.json(); }).then(function (collection) {
      var colour = box.getAttribute("data-color");
      layers[code] = L.geoJSON(collection, {
        style: { color: colour, weight: 2 },
        pointToLayer: function (feature, latlng) { return L.circleMarker(latlng, { radius: 5, color: colour, fillOpacity: 0.8 }); },
        onEachFeature: function (feature, layer) {
          var rows = Object.keys(feature.properties).map(function (key) {
            var cell = document.createElement("div");
            cell.textContent = key + ": " + feature.properties[key];
            return cell.outerHTML;
          }).join("");
          layer.bindPopup(rows + '<a href="/' + community + "/map/" + code + "/" + feature.id + '">→</a>');
        }
      }).addTo(map);
    }).catch(function () {});
  }
  boxes.forEach(function (box, index) {
    if (index === 0) box.checked = true;
    box.addEventListener("change", function () { load(box); });
  });
  map.on("moveend", function () { boxes.forEach(load); });
  boxes.forEach(load);
})();
