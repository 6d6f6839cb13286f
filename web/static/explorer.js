// Map explorer: every area's tooltip and popup (as text, through dmMaps of maps.js), and the search box.
window.dmExplorer = (function () {
  "use strict";
  var layers = {};
  var map = null;

  // rows: the (property, label) pairs of tooltip and popup (web/explorer.py); dmMaps builds them as text
  function bind(feature, layer, level, rows) {
    layers[feature.id] = layer;
    dmMaps.bindDetails(feature, layer, rows, {popup: rows, profileLevel: level});
  }

  function find(text) {
    var wanted = text.trim().toLowerCase();
    if (!wanted) { return null; }
    var inParens = wanted.match(/\(([^()]+)\)\s*$/);
    if (inParens && layers[inParens[1]]) { return layers[inParens[1]]; }
    if (layers[wanted]) { return layers[wanted]; }
    var ids = Object.keys(layers);
    for (var i = 0; i < ids.length; i++) {
      if (String(layers[ids[i]].feature.properties.name).toLowerCase() === wanted) { return layers[ids[i]]; }
    }
    for (var j = 0; j < ids.length; j++) {
      var props = layers[ids[j]].feature.properties;
      if (String(props.name).toLowerCase().indexOf(wanted) >= 0 || ids[j].indexOf(wanted) === 0) { return layers[ids[j]]; }
    }
    return null;
  }

  function ready(geoLayer, leafletMap) {
    map = leafletMap;
    map.invalidateSize();
    var form = document.getElementById("state");
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () { form.requestSubmit(); });
    });
    form.addEventListener("submit", function () {  // keep the URL short: leave out empty choices
      Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
        if (!select.value) { select.disabled = true; }
      });
    });
    document.getElementById("search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = document.getElementById("search-input").value;
      var layer = find(text);
      var out = document.getElementById("search-result");
      if (!layer) { out.textContent = "Kein Gebiet gefunden: " + text; return; }
      out.textContent = layer.feature.properties.name + " (" + layer.feature.id + ")";
      map.fitBounds(layer.getBounds(), {maxZoom: 14});
      layer.openPopup(layer.getBounds().getCenter());
    });
    document.body.setAttribute("data-map-ready", String(Object.keys(layers).length));
  }

  return {bind: bind, ready: ready};
})();
