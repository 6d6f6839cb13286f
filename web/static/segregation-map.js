// The map of the local segregation measures on the segregation page (web/templates/segregation.html,
// docs/integration.md §1). The classes and colours of each area come with the page (#segregation-map-data,
// computed on the server: web/segregation_page.py map_context), the shapes and the numbers of the tooltips from
// the page's own GeoJSON twin (data-geojson: /api/segregation/local?...&f=geojson). Texts come in the page's
// language with the page; numbers are written here in the notation of the page's language (<html lang>).
// Tooltips and popups are built as text by dmMaps (maps.js), never as HTML.
(function () {
  "use strict";
  var state = null;  // {map, layer, data, element}: one per document, however often the page is shown

  function locale() {
    return (document.documentElement.lang || "de").slice(0, 2) === "en" ? "en-GB" : "de-DE";
  }

  function formats() {
    var lang = locale();
    return {
      count: new Intl.NumberFormat(lang, {maximumFractionDigits: 0}),
      two: new Intl.NumberFormat(lang, {minimumFractionDigits: 2, maximumFractionDigits: 2}),
      small: new Intl.NumberFormat(lang, {maximumSignificantDigits: 2}),
      percent: new Intl.NumberFormat(lang, {style: "percent", minimumFractionDigits: 1, maximumFractionDigits: 1})
    };
  }

  function chosen() {
    var checked = document.querySelector("input[name='segregation-measure']:checked");
    return checked && checked.value === "entropy" ? "entropy" : "lq";
  }

  function styleOf(data, feature, measure) {
    var key = feature.properties.key;
    var style = {weight: 0.6, color: "#555", opacity: 1, fillOpacity: 0.85, dashArray: null};
    if (data.dropped[key]) {
      style.fillColor = data.droppedColour;
      style.dashArray = "3 3";
      return style;
    }
    var classes = data.classes[key];
    var position = measure === "entropy" ? 1 : 0;
    var cls = classes ? classes[position] : null;
    style.fillColor = cls === null || cls === undefined ? data.missing : data.colours[measure][cls];
    return style;
  }

  // what an area's tooltip and popup say, as texts in the page's language
  function shown(data, properties, numbers) {
    var texts = data.texts;
    var out = {name: properties.name, key: properties.key};
    var dropped = data.dropped[properties.key];
    if (dropped) {
      out.secret = (dropped[0] === "confidential" ? texts.confidential : texts.missing)
        + (dropped[1] ? ": " + dropped[1] : "");
      return out;
    }
    var group = data.group;
    var count = properties[group];
    var share = properties[group + "_share"];
    if (typeof count === "number") {
      out.count = numbers.count.format(count) + (typeof share === "number" ? " (" + numbers.percent.format(share) + ")" : "");
    }
    var lq = properties[group + "_lq"];
    out.lq = typeof lq === "number" ? numbers.two.format(lq) : texts.noValue;
    // an area without inhabitants has no mix (the library writes 0 for it): no value, as its location quotient
    var entropy = properties.local_entropy;
    out.entropy = typeof entropy === "number" && properties.total > 0 ? numbers.two.format(entropy) : texts.noValue;
    var term = properties[group + "_d_term"];
    var part = properties[group + "_d_share"];
    if (typeof term === "number") {
      out.contribution = numbers.small.format(term)
        + (typeof part === "number" ? " (" + numbers.percent.format(part) + " " + texts.ofD + ")" : "");
    }
    return out;
  }

  function apply(measure) {
    if (!state) { return; }
    var data = state.data;
    if (state.layer) {
      state.layer.eachLayer(function (layer) { layer.setStyle(styleOf(data, layer.feature, measure)); });
    }
    document.querySelectorAll(".segregation-map .legend[data-measure]").forEach(function (legend) {
      legend.hidden = legend.getAttribute("data-measure") !== measure;
    });
    state.element.setAttribute("data-measure", measure);
  }

  function draw(element, data) {
    var map = L.map(element, {zoomSnap: 0.25, maxZoom: 16});
    map.setView([51.16, 10.45], 6);  // until the shapes arrive and the map fits them
    L.control.scale({imperial: false}).addTo(map);
    if (element.getAttribute("data-tiles")) {
      L.tileLayer(element.getAttribute("data-tiles"), {attribution: data.attribution, maxZoom: 18}).addTo(map);
    }
    state = {map: map, layer: null, data: data, element: element};
    var numbers = formats();
    var texts = data.texts;
    var rows = [["name", texts.area], ["key", texts.key], ["count", data.groupName], ["lq", texts.lq],
                ["entropy", texts.entropy], ["contribution", texts.contribution], ["secret", texts.secret]];
    fetch(element.getAttribute("data-geojson"), {credentials: "same-origin"}).then(function (response) {
      if (!response.ok) { throw new Error("local measures " + response.status); }
      return response.json();
    }).then(function (collection) {
      var layer = L.geoJSON(collection, {
        style: function (feature) { return styleOf(data, feature, chosen()); },
        onEachFeature: function (feature, layer) {
          var details = {id: feature.properties.key, properties: shown(data, feature.properties, numbers)};
          dmMaps.bindDetails(details, layer, rows, {popup: rows});
          layer.on("popupopen", function () { layer.closeTooltip(); });  // a tap: the popup alone, not both
          layer.on("mouseover", function () {
            layer.setStyle({weight: 2.5, color: "#111"});
            layer.bringToFront();
          });
          layer.on("mouseout", function () { layer.setStyle(styleOf(data, feature, chosen())); });
        }
      });
      state.layer = layer;
      var bounds = layer.getBounds();
      if (bounds.isValid()) { map.fitBounds(bounds, {animate: false}); }
      layer.addTo(map);
      apply(chosen());
      element.setAttribute("data-ready", String(collection.features.length));
    }).catch(function () {
      element.setAttribute("data-ready", "error");
      var note = document.createElement("p");
      note.className = "map-failed";
      note.textContent = texts.loadFailed;
      element.parentNode.insertBefore(note, element);
    });
  }

  function start() {
    var element = document.getElementById("segregation-map");
    var block = document.getElementById("segregation-map-data");
    // once per document: a page restored from the back/forward cache keeps its map (and Leaflet refuses a
    // second map on one element)
    if (!element || !block || state || element._leaflet_id) { return; }
    draw(element, JSON.parse(block.textContent));
    apply(chosen());
    document.querySelectorAll("input[name='segregation-measure']").forEach(function (input) {
      input.addEventListener("change", function () { apply(chosen()); });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
  // back/forward: a page from the cache runs no script again; the switch may have been restored by the browser,
  // so the colours and legend follow it, and the map measures its box again
  window.addEventListener("pageshow", function (event) {
    if (!event.persisted || !state) { return; }
    state.map.invalidateSize();
    apply(chosen());
  });
})();
