// Maps for places: a picker that fills the latitude and longitude fields of a form, and a small
// map showing one point. Without JavaScript the fields are typed by hand and the point is a link.
(function () {
  "use strict";
  if (typeof L === "undefined") return;
  var khmelnytskyi = [49.4229, 26.9871];

  function baseMap(element, center, zoom) {
    var map = L.map(element).setView(center, zoom);
    L.tileLayer(element.getAttribute("data-tiles"), {
      maxZoom: 19,
      attribution: "&copy; OpenStreetMap"
    }).addTo(map);
    return map;
  }

  document.querySelectorAll("[data-location-picker]").forEach(function (fieldset) {
    var latitude = fieldset.querySelector("[name=latitude]");
    var longitude = fieldset.querySelector("[name=longitude]");
    var element = document.createElement("div");
    element.className = "map";
    element.setAttribute("data-tiles", fieldset.getAttribute("data-tiles"));
    fieldset.appendChild(element);
    var start = latitude.value && longitude.value ? [parseFloat(latitude.value), parseFloat(longitude.value)] : null;
    var map = baseMap(element, start || khmelnytskyi, start ? 16 : 13);
    var marker = start ? L.circleMarker(start, { radius: 9 }).addTo(map) : null;
    map.on("click", function (event) {
      latitude.value = event.latlng.lat.toFixed(6);
      longitude.value = event.latlng.lng.toFixed(6);
      if (marker) marker.setLatLng(event.latlng); else marker = L.circleMarker(event.latlng, { radius: 9 }).addTo(map);
    });
  });

  document.querySelectorAll("[data-location-map]").forEach(function (element) {
    var point = [parseFloat(element.getAttribute("data-latitude")), parseFloat(element.getAttribute("data-longitude"))];
    var map = baseMap(element, point, 16);
    L.circleMarker(point, { radius: 9 }).addTo(map);
  });
})();
