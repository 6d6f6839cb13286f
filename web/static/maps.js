// Details of every map of the service: tooltips and popups built from a feature's properties as text
// (textContent, never innerHTML), so that no name or reason delivered in an import can run as script.
// Loaded after Leaflet and before a map's own script (web/maps.py LEAFLET_JS).
window.dmMaps = (function () {
  "use strict";

  function table(properties, rows) {
    var node = document.createElement("div");
    node.className = "dm-tip";
    var tbl = document.createElement("table");
    rows.forEach(function (row) {
      var value = properties[row[0]];
      if (value === undefined || value === null || value === "") { return; }
      var tr = document.createElement("tr");
      var th = document.createElement("th");
      var td = document.createElement("td");
      th.textContent = row[1];
      td.textContent = String(value);
      tr.appendChild(th);
      tr.appendChild(td);
      tbl.appendChild(tr);
    });
    node.appendChild(tbl);
    return node;
  }

  // options: {popup: rows or null, profileLevel: level code (popup links to the area's profile) or null,
  //           more: function (feature, layer) giving further links [{text, href, onclick}] or null,
  //           profileText: the profile link's text in the page's language (German without it)}
  function bindDetails(feature, layer, rows, options) {
    // not one tab stop per polygon (hundreds, without names): areas are reached by search, list and table
    layer.on("add", function () {
      var element = layer.getElement && layer.getElement();
      if (element) { element.setAttribute("tabindex", "-1"); }
    });
    layer.bindTooltip(function () { return table(feature.properties, rows); }, {sticky: true});
    if (!options.popup) { return; }
    layer.bindPopup(function () {
      var node = table(feature.properties, options.popup);
      var links = [];
      if (options.profileLevel) {
        links.push({text: options.profileText || "Quartiersprofil öffnen",
                    href: "/areas/" + encodeURIComponent(options.profileLevel) + "/" + encodeURIComponent(feature.id)});
      }
      if (options.more) { links = links.concat(options.more(feature, layer)); }
      links.forEach(function (item) {
        var link = document.createElement("a");
        link.href = item.href;
        link.textContent = item.text;
        link.className = "dm-popup-link";
        if (item.onclick) { link.addEventListener("click", item.onclick); }
        node.appendChild(link);
      });
      return node;
    });
  }

  // A level's shapes (/maps/geometry/...), fetched once per page and URL; a failed fetch is tried again next time.
  var shapes = {};
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

  // The areas of a map page's drawing (web/explorer.py area_columns): columns in one key order, read per key.
  // details(key, name) gives the rows of an area's tooltip and popup (made once per area, when first asked).
  function areas(drawing) {
    var columns = drawing.columns;
    var texts = drawing.texts;
    var row = {};
    columns.keys.forEach(function (key, i) { row[key] = i; });
    var made = {};
    // numbers come as numbers, rounded as shown (web/explorer.py _value_texts): written here as
    // indicators.notation writes them (de: 1.234,5; en: 1,234.5), for one area when it is asked for
    var formats = {};
    function written(value, decimals) {
      if (typeof value !== "number") { return value; }  // a change's whole text, or why there is no value
      if (!formats[decimals]) {
        formats[decimals] = new Intl.NumberFormat(texts.locale || "de-DE",
                                                  {minimumFractionDigits: decimals, maximumFractionDigits: decimals});
      }
      return formats[decimals].format(value);
    }
    function klass(key) {
      var i = row[key];
      return i === undefined ? null : columns["class"][i];
    }
    return {
      keys: columns.keys,
      has: function (key) { return row[key] !== undefined; },
      rank: function (key) { var i = row[key]; return i === undefined ? null : columns.rank[i]; },
      fill: function (key) { var c = klass(key); return c === null ? null : drawing.colours[c]; },
      details: function (key, name) {
        var i = row[key];
        if (i === undefined) { return {key: key, name: name, wert: drawing.absent}; }
        if (!made[key]) {
          // a value's unit comes once (texts.unit; a change and a missing value's reason are whole texts)
          var valued = typeof columns.wert[i] === "number" && texts.unit;
          var wert = written(columns.wert[i], texts.decimals);
          var out = {key: key, name: name, wert: valued ? wert + " " + texts.unit : wert};
          // a smoothed map: `wert` is the smoothed value, this the published one (web/explorer.py area_columns)
          if (columns.veroeffentlicht && typeof columns.veroeffentlicht[i] === "number") {
            out.veroeffentlicht = written(columns.veroeffentlicht[i], texts.decimals) + (texts.unit ? " " + texts.unit : "");
          }
          if (columns.intervall && columns.intervall[i]) {  // [low, high, statistisch unsicher]
            var ci = columns.intervall[i];
            out.intervall = written(ci[0], texts.decimals) + "–" + written(ci[1], texts.decimals)
              + (texts.unit ? " " + texts.unit : "") + (ci[2] ? " · " + texts.unreliable : "");
          }
          if (columns.anzahl && columns.anzahl[i] !== null) {
            out.anzahl = written(columns.anzahl[i], texts.count_decimals) + (texts.count_unit ? " " + texts.count_unit : "");
          }
          if (columns.rank[i] !== null) { out.rang = texts.rank.replace("{rank}", String(columns.rank[i])); }
          if (columns["class"][i] !== null) { out.klasse = texts.classes[columns["class"][i]]; }
          if (columns.index && columns.index[i] !== null) { out.index = columns.index[i]; }
          made[key] = out;
        }
        return made[key];
      }
    };
  }

  return {bindDetails: bindDetails, geometry: geometry, areas: areas};
})();

// On a phone the legend starts folded to its title (a tap opens it), so that the map stays visible.
document.addEventListener("DOMContentLoaded", function () {
  "use strict";
  var legend = document.getElementById("legend");
  if (legend && legend.tagName === "DETAILS" && window.matchMedia("(max-width: 600px)").matches) {
    legend.open = false;
  }
});
