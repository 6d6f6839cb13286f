// Two linked maps (web/compare.py, templates/compare.html). Each side's colours and details come with the page
// (JSON blocks); the shapes come from /maps/geometry/... (dmMaps.geometry: fetched once when both sides use
// the same boundaries).
// Moving or zooming one map moves the other (Leaflet has no built-in sync; the plugin for it is not vendored,
// and the few lines below are all the two maps need). Texts go in as text (dmMaps); the script's own texts come
// in the page's language with the page (the JSON block #compare-texts), German as the fallback.
(function () {
  "use strict";
  var maps = {};
  var syncing = false;
  var GERMAN = {loadFailed: "Die Karte konnte nicht geladen werden.", openProfile: "Quartiersprofil öffnen"};

  function say(name) {
    var block = document.getElementById("compare-texts");
    var texts = {};
    try { texts = block ? JSON.parse(block.textContent) : {}; } catch (error) { texts = {}; }
    return typeof texts[name] === "string" && texts[name] ? texts[name] : GERMAN[name];
  }

  function styleOf(drawing, values, key) {
    var fill = values.fill(key);
    var style = {};
    var base = fill ? drawing.styles.value : drawing.styles.missing;
    Object.keys(base).forEach(function (name) { style[name] = base[name]; });
    if (fill) { style.fillColor = fill; }
    return style;
  }

  function link(source, target) {
    source.on("move", function () {
      if (syncing) { return; }
      syncing = true;
      target.setView(source.getCenter(), source.getZoom(), {animate: false});
      syncing = false;
    });
  }

  function draw(name, bounds) {
    var drawing = JSON.parse(document.getElementById("drawing-" + name).textContent);
    var values = dmMaps.areas(drawing);
    var element = document.getElementById("map-" + name);
    var map = L.map(element, {zoomSnap: 0.25, maxZoom: 16, preferCanvas: false});
    if (bounds) { map.fitBounds(bounds, {animate: false}); } else { map.setView([51.16, 10.45], 6); }
    L.control.scale({imperial: false}).addTo(map);
    maps[name] = map;
    // the view on the element (centre and zoom), for the other map's check and for tests
    function mark() {
      var centre = map.getCenter();
      element.setAttribute("data-view", centre.lat.toFixed(4) + "," + centre.lng.toFixed(4) + "," + map.getZoom());
    }
    map.on("moveend", mark);
    mark();
    var areas = dmMaps.geometry(drawing.geometry).then(function (collection) {
      // each side its own features (both sides may share one collection of shapes): the other side's texts
      // must not end up in this side's tooltips
      var own = collection.features.map(function (feature) {
        return {type: "Feature", id: feature.id, geometry: feature.geometry, properties: feature.properties};
      });
      L.geoJSON({type: "FeatureCollection", features: own}, {
        style: function (feature) { return styleOf(drawing, values, feature.id); },
        onEachFeature: function (feature, layer) {
          feature.properties = values.details(feature.id, feature.properties.name);
          dmMaps.bindDetails(feature, layer, drawing.rows, {popup: drawing.rows, profileLevel: drawing.level,
                                                             profileText: say("openProfile")});
          layer.on("mouseover", function () { layer.setStyle(drawing.styles.highlight); });
          layer.on("mouseout", function () { layer.setStyle(styleOf(drawing, values, feature.id)); });
        }
      }).addTo(map);
    });
    var outline = drawing.outline ? dmMaps.geometry(drawing.outline.url).then(function (collection) {
      L.geoJSON(collection, {style: drawing.outline.style, interactive: false}).addTo(map);
    }) : Promise.resolve();
    Promise.all([areas, outline]).then(function () {
      element.setAttribute("data-ready", String(values.keys.length));
    }, function () {
      element.setAttribute("data-ready", "error");
      element.textContent = say("loadFailed");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var bounds = JSON.parse(document.getElementById("compare-bounds").textContent);
    draw("left", bounds);
    draw("right", bounds);
    link(maps.left, maps.right);
    link(maps.right, maps.left);
  });
})();
