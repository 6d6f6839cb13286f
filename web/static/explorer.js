// Map explorer. The page carries its areas' colours and details (the JSON block #explorer-drawing, made by
// web/explorer.py); the shapes come from /maps/geometry/..., the same for every indicator, period and class
// scheme of a level, so the browser loads them once. A change of the controls fetches the next page, swaps the
// panel and recolours the map in place (no blank map, no second download of the shapes) and puts the state in
// the address bar (history: back and forward work, a reload or a shared link opens the same view). Without
// this script the form still works as a plain GET form. Every text goes in as text (dmMaps, textContent).
window.dmExplorer = (function () {
  "use strict";
  var map = null;
  var control = null;
  var layers = {};          // area key -> Leaflet layer of the drawn level
  var shown = {areas: null, areasUrl: null, outline: null, outlineUrl: null, attention: null};
  var shapes = {};          // geometry URL -> Promise of its FeatureCollection
  var drawing = null;       // the #explorer-drawing of the state on screen
  var sequence = 0;         // the latest navigation; older answers are dropped

  function geometry(url) {
    if (!shapes[url]) {
      shapes[url] = fetch(url, {credentials: "same-origin"}).then(function (response) {
        if (!response.ok) { throw new Error("geometry " + response.status); }
        return response.json();
      });
      shapes[url].catch(function () { delete shapes[url]; });
    }
    return shapes[url];
  }

  function readDrawing() {
    return JSON.parse(document.getElementById("explorer-drawing").textContent);
  }

  function copy(style) {
    var out = {};
    Object.keys(style).forEach(function (name) { out[name] = style[name]; });
    return out;
  }

  function styleOf(key) {
    var area = drawing.areas[key];
    if (!area || !area.fill) { return copy(drawing.styles.missing); }
    var style = copy(drawing.styles.value);
    style.fillColor = area.fill;
    return style;
  }

  // the tooltip and popup rows of an area (dmMaps reads feature.properties when they open)
  function details(feature) {
    if (feature.shapeName === undefined) { feature.shapeName = feature.properties.name; }
    var area = drawing.areas[feature.id];
    return area ? area.details : {key: feature.id, name: feature.shapeName, wert: drawing.absent};
  }

  function drawAreas(collection) {
    if (shown.areas) { control.removeLayer(shown.areas); map.removeLayer(shown.areas); }
    layers = {};
    var level = drawing.level;
    var rows = drawing.rows;
    var layer = L.geoJSON(collection, {
      style: function (feature) { return styleOf(feature.id); },
      onEachFeature: function (feature, areaLayer) {
        layers[feature.id] = areaLayer;
        feature.properties = details(feature);
        dmMaps.bindDetails(feature, areaLayer, rows, {popup: rows, profileLevel: level});
        areaLayer.on("mouseover", function () { areaLayer.setStyle(drawing.styles.highlight); });
        areaLayer.on("mouseout", function () { areaLayer.setStyle(styleOf(feature.id)); });
      }
    });
    layer.addTo(map);
    control.addOverlay(layer, drawing.name);
    shown.areas = layer;
  }

  function recolour() {
    Object.keys(layers).forEach(function (key) {
      var areaLayer = layers[key];
      areaLayer.feature.properties = details(areaLayer.feature);
      areaLayer.setStyle(styleOf(key));
    });
    control.removeLayer(shown.areas);
    control.addOverlay(shown.areas, drawing.name);
  }

  function drawOutline(collection) {
    if (shown.outline) { control.removeLayer(shown.outline); map.removeLayer(shown.outline); shown.outline = null; }
    if (!collection) { return; }
    shown.outline = L.geoJSON(collection, {style: drawing.outline.style, interactive: false}).addTo(map);
    control.addOverlay(shown.outline, drawing.outline.name);
  }

  function drawAttention() {
    if (shown.attention) { control.removeLayer(shown.attention); map.removeLayer(shown.attention); }
    shown.attention = null;
    if (!drawing.attention) { return; }
    var wanted = {};
    drawing.attention.keys.forEach(function (key) { wanted[key] = true; });
    var features = [];
    Object.keys(layers).forEach(function (key) { if (wanted[key]) { features.push(layers[key].feature); } });
    shown.attention = L.geoJSON({type: "FeatureCollection", features: features},
                                {style: drawing.attention.style, interactive: false}).addTo(map);
    control.addOverlay(shown.attention, drawing.attention.name);
  }

  // draw the state in `drawing`: new shapes only when the level (or its boundary version) changed
  function draw(mine) {
    var outlineUrl = drawing.outline ? drawing.outline.url : null;
    return Promise.all([geometry(drawing.geometry), outlineUrl ? geometry(outlineUrl) : null]).then(function (got) {
      if (mine !== sequence) { return; }
      var newLevel = drawing.geometry !== shown.areasUrl;
      if (newLevel) {
        drawAreas(got[0]);
        if (shown.areasUrl !== null) { map.fitBounds(shown.areas.getBounds()); }
        shown.areasUrl = drawing.geometry;
      } else {
        recolour();
      }
      if (outlineUrl !== shown.outlineUrl) { drawOutline(got[1]); shown.outlineUrl = outlineUrl; }
      if (shown.outline) { shown.outline.bringToFront(); }
      drawAttention();
      document.body.setAttribute("data-map-ready", String(Object.keys(layers).length));
      document.body.setAttribute("data-map-state", drawing.geometry + "|" + location.search);
    });
  }

  function setBusy(busy) {
    document.body.classList.toggle("loading", busy);
    document.getElementById("panel").setAttribute("aria-busy", busy ? "true" : "false");
  }

  function failed(text) {
    var out = document.getElementById("map-status");
    if (out) { out.textContent = text; }
    setBusy(false);
  }

  function stateUrl(form) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) { if (value) { params.append(name, value); } });
    return form.getAttribute("action") + "?" + params.toString();
  }

  // fetch the page of another state, take its panel and drawing; anything unexpected (an unknown name gives
  // a German 404 page with links) is shown as the whole page
  function go(url, push) {
    var mine = ++sequence;
    setBusy(true);
    return fetch(url, {credentials: "same-origin", headers: {Accept: "text/html"}}).then(function (response) {
      if (!response.ok) { throw new Error("page " + response.status); }
      return response.text();
    }).then(function (text) {
      if (mine !== sequence) { return null; }
      var next = new DOMParser().parseFromString(text, "text/html");
      var panel = next.getElementById("panel");
      if (!panel || !next.getElementById("explorer-drawing")) { throw new Error("no explorer page"); }
      document.getElementById("panel").replaceWith(document.importNode(panel, true));
      document.title = next.title;
      if (push) { history.pushState({explorer: true}, "", url); }
      drawing = readDrawing();
      bindPanel();
      return draw(mine);
    }).then(function () {
      if (mine === sequence) { setBusy(false); }
    }).catch(function () {
      if (mine === sequence) { location.assign(url); }
    });
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

  function bindPanel() {
    var form = document.getElementById("state");
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () { go(stateUrl(form), true); });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      go(stateUrl(form), true);
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
  }

  function ready(leafletMap, layerControl) {
    map = leafletMap;
    control = layerControl;
    map.invalidateSize();
    drawing = readDrawing();
    history.replaceState({explorer: true}, "", location.href);
    window.addEventListener("popstate", function () { go(location.href, false); });
    bindPanel();
    var mine = ++sequence;
    setBusy(true);
    draw(mine).then(function () { setBusy(false); },
                    function () { failed("Die Gebietsgrenzen konnten nicht geladen werden. Bitte die Seite neu laden."); });
  }

  return {ready: ready};
})();
