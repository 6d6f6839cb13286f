// Map explorer. The page carries its areas' colours and details (the JSON block #explorer-drawing, made by
// web/explorer.py); the shapes come from /maps/geometry/..., the same for every indicator, period and class
// scheme of a level, so the browser loads them once. A change of the controls fetches the next page, swaps the
// panel and recolours the map in place (no blank map, no second download of the shapes) and puts the state in
// the address bar (history: back and forward work, a reload or a shared link opens the same view). Without
// this script the form still works as a plain GET form. Every text goes in as text (dmMaps, textContent).
// The script's own texts come in the page's language with the panel (the JSON block #explorer-texts, written
// by templates/explorer_panel.html from web/locale); German where one is missing.
window.dmExplorer = (function () {
  "use strict";
  var map = null;
  var control = null;
  var layers = {};          // area key -> Leaflet layer of the drawn level
  var shown = {areas: null, areasUrl: null, outline: null, outlineUrl: null, attention: null};
  var drawing = null;       // the #explorer-drawing of the state on screen
  var areas = null;         // its areas, read per key (dmMaps.areas)
  var rows = [];            // its tooltip rows: one array, refilled per drawing (the areas' tooltips keep it; a
                            // smoothed map names its value "geglätteter Wert" and adds the published one)
  var sequence = 0;         // the latest navigation; older answers are dropped
  var selected = null;      // the area found by the search (outlined)
  var pending = null;       // a hit on another level, selected once that level is drawn
  var shownPage = location.pathname + location.search;  // the state on screen (without its fragment)

  function geometry(url) { return dmMaps.geometry(url); }  // shared with the comparison page (maps.js)

  var GERMAN = {
    lang: "de", searching: "Suche …", notFound: "Kein Gebiet gefunden:", oneHit: "1 Treffer",
    hits: "%(count)s Treffer, der beste zuerst", searchDown: "Die Suche ist gerade nicht erreichbar.",
    copied: "Link kopiert.", shapesFailed: "Die Gebietsgrenzen konnten nicht geladen werden. Bitte die Seite neu laden.",
    openProfile: "Quartiersprofil öffnen", play: "▶ Zeitreihe abspielen", pause: "❚❚ Anhalten"
  };

  // a text of the panel on screen (it changes language with the panel), German as the fallback
  function say(name) {
    var block = document.getElementById("explorer-texts");
    var texts = {};
    try { texts = block ? JSON.parse(block.textContent) : {}; } catch (error) { texts = {}; }
    return typeof texts[name] === "string" && texts[name] ? texts[name] : GERMAN[name];
  }

  function readDrawing() {
    drawing = JSON.parse(document.getElementById("explorer-drawing").textContent);
    areas = dmMaps.areas(drawing);
    rows.splice.apply(rows, [0, rows.length].concat(drawing.rows));
    styles = {};
  }

  function copy(style) {
    var out = {};
    Object.keys(style).forEach(function (name) { out[name] = style[name]; });
    return out;
  }

  // An area's style is one of a few (a class's fill, no value, each also selected), made once per drawing and
  // named by styleKey; recolour() gives a layer a new style only when its name changed. A period or indicator
  // change of the 10,997 Gemeinden leaves most areas in their class, and 11,000 setStyle calls (each also
  // widening the canvas's redraw) were a third of the browser's time per change (bench/bench_pages.py).
  var styles = {};
  function styleKey(key) {
    return (areas.fill(key) || "") + (key === selected ? "|selected" : "");
  }

  function styleOf(key) {
    var name = styleKey(key);
    if (!styles[name]) {
      var fill = areas.fill(key);
      var style = copy(fill ? drawing.styles.value : drawing.styles.missing);
      if (fill) { style.fillColor = fill; }
      if (key === selected) {
        Object.keys(drawing.styles.selected).forEach(function (n) { style[n] = drawing.styles.selected[n]; });
      }
      styles[name] = style;
    }
    return styles[name];
  }

  // give the area's layer its style unless it has it already (`force`: after a highlight, which set another)
  function restyle(key, force) {
    var layer = layers[key];
    var name = styleKey(key);
    if (force || layer.dmStyle !== name) {
      layer.setStyle(styleOf(key));
      layer.dmStyle = name;
    }
  }

  // the tooltip and popup rows of an area, of the state on screen: dmMaps reads feature.properties when they
  // open, so they are made then (not for all areas at each change)
  function showDetails(feature) {
    var name = feature.properties.name;
    Object.defineProperty(feature, "properties", {
      get: function () { return areas.details(feature.id, name); }, configurable: true
    });
  }

  function drawAreas(collection) {
    if (shown.areas) { map.closePopup(); control.removeLayer(shown.areas); map.removeLayer(shown.areas); }
    layers = {};
    selected = null;
    var level = drawing.level;
    var layer = L.geoJSON(collection, {
      // thousands of areas on one canvas (web/explorer.py decides): the same tooltips and popups, drawn in one
      // pass instead of one SVG path with listeners per area
      renderer: drawing.canvas ? L.canvas({padding: 0.3}) : undefined,
      style: function (feature) { return styleOf(feature.id); },
      onEachFeature: function (feature, areaLayer) {
        layers[feature.id] = areaLayer;
        areaLayer.dmStyle = styleKey(feature.id);
        showDetails(feature);
        dmMaps.bindDetails(feature, areaLayer, rows, {popup: rows, profileLevel: level, more: drillLinks,
                                                      profileText: say("openProfile")});
        areaLayer.on("mouseover", function () {
          areaLayer.setStyle(drawing.styles.highlight);
          areaLayer.dmStyle = null;  // the next recolour or mouseout gives it its own style again
        });
        areaLayer.on("mouseout", function () { restyle(feature.id, true); });
      }
    });
    layer.addTo(map);
    control.addOverlay(layer, drawing.name);
    shown.areas = layer;
  }

  // "Planungsräume darin zeigen": the finer level, zoomed to the clicked area, in place (back returns)
  function drillLinks(feature, areaLayer) {
    if (!drawing.drill) { return []; }
    var bounds = areaLayer.getBounds();
    var centre = bounds.getCenter();
    var zoom = Math.min(map.getBoundsZoom(bounds), 15);
    var href = drawing.drill.url + "#map=" + centre.lat.toFixed(5) + "," + centre.lng.toFixed(5) + "," + zoom;
    return [{text: drawing.drill.label, href: href, onclick: function (event) {
      event.preventDefault();
      map.closePopup();
      map.fitBounds(bounds, {animate: false, maxZoom: 15});
      go(href, true);
    }}];
  }

  function recolour() {
    Object.keys(layers).forEach(function (key) { restyle(key, false); });
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
        if (shown.areasUrl !== null && !extentFromAddress()) { map.fitBounds(shown.areas.getBounds()); }
        shown.areasUrl = drawing.geometry;
      } else {
        recolour();
      }
      if (outlineUrl !== shown.outlineUrl) { drawOutline(got[1]); shown.outlineUrl = outlineUrl; }
      if (shown.outline) { shown.outline.bringToFront(); }
      drawAttention();
      if (pending && layers[pending]) { select(pending); }
      pending = null;
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

  // the state of the form as a URL; `shown`: as the address bar shows it, without the form's request to move
  // a period the chosen indicator has no values for to its nearest one (nearest=1: the page then shows the
  // moved period, and the address names it)
  function stateUrl(form, shown) {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, name) {
      if (value && !(shown && name === "nearest")) { params.append(name, value); }
    });
    return form.getAttribute("action") + "?" + params.toString() + location.hash;
  }

  // fetch the page of another state, take its panel and drawing; anything unexpected (an unknown name gives
  // a German 404 page with links) is shown as the whole page. `push`: a new history entry, "replace": the
  // current one replaced (a played timeline), false: none (back and forward). Any change but the player's own
  // stops the player.
  function go(url, push, byPlayer) {
    if (!byPlayer) { stopPlaying(); }
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
      var searched = document.getElementById("search-input").value;  // the search stays: text, result, hits
      var result = document.getElementById("search-result");
      var hits = document.getElementById("search-hits");
      document.getElementById("panel").replaceWith(document.importNode(panel, true));
      document.getElementById("search-input").value = searched;
      document.getElementById("search-result").replaceWith(result);
      document.getElementById("search-hits").replaceWith(hits);
      document.title = next.title;
      // a state asked for by the form is shown as the page answered it (a period may have moved)
      var shown = /[?&]nearest=1(&|#|$)/.test(url) ? stateUrl(document.getElementById("state"), true) : url;
      if (push === "replace") {
        history.replaceState({explorer: true}, "", shown);
      } else if (push) {
        history.pushState({explorer: true}, "", shown);
      }
      shownPage = location.pathname + location.search;
      readDrawing();
      bindPanel();
      return draw(mine);
    }).then(function () {
      if (mine === sequence) { setBusy(false); }
    }).catch(function () {
      if (mine === sequence) { location.assign(url); }
    });
  }

  // The timeline played: one period after the other up to the newest (from the oldest when the newest is on
  // screen), each map drawn and then shown for PLAY_DWELL ms; the classes are those of each period (the legend
  // changes with them). One history entry for the whole play: back returns to where it started. A change of
  // any control, the slider or back stops it; so does the pause button.
  var PLAY_DWELL = 1500;
  var player = null;        // {pushed: whether the play has its history entry, timer, sequence of its change}

  function showPlayer() {
    var button = document.getElementById("play");
    if (button) {
      button.hidden = false;  // without this script the button could do nothing, so the page hides it
      button.textContent = say(player ? "pause" : "play");
      button.setAttribute("aria-pressed", player ? "true" : "false");
    }
    document.body.setAttribute("data-playing", player ? "true" : "false");
  }

  function stopPlaying() {
    if (!player) { return; }
    clearTimeout(player.timer);
    player = null;
    showPlayer();
  }

  function playStep() {
    var form = document.getElementById("state");
    var periods = form.querySelector("select[name=period]");  // newest first
    var next = periods.selectedIndex - 1;
    if (!player.pushed && periods.selectedIndex <= 0) { next = periods.options.length - 1; }
    if (next < 0) { stopPlaying(); return; }
    periods.selectedIndex = next;
    var compare = form.querySelector("select[name=compare]");
    if (compare) { compare.value = ""; }  // a change map has no period of its own to step through
    var push = player.pushed ? "replace" : true;
    player.pushed = true;
    var done = go(stateUrl(form), push, true);
    player.sequence = sequence;  // go() numbered this change
    done.then(function () {
      if (!player || player.sequence !== sequence) { return; }
      if (document.getElementById("state").querySelector("select[name=period]").selectedIndex <= 0) {
        stopPlaying();  // the newest period is on screen
        return;
      }
      player.timer = setTimeout(playStep, PLAY_DWELL);
    });
  }

  function togglePlaying() {
    if (player) { stopPlaying(); return; }
    player = {pushed: false, timer: null, sequence: null};
    showPlayer();
    if (window.matchMedia("(max-width: 720px)").matches) {  // phones: the map is above the panel; show it
      map.getContainer().scrollIntoView({block: "start"});
    }
    playStep();
  }

  // search over every level (GET /api/search): a list of hits; an exact first hit is shown at once. A hit on
  // another level switches the map to that level, zoomed to the hit; the hit is outlined and its popup opened.
  function select(key) {
    var layer = layers[key];
    if (!layer) { return; }
    var before = selected;
    selected = key;
    if (before && layers[before]) { restyle(before, false); }
    restyle(key, false);
    layer.bringToFront();
    map.fitBounds(layer.getBounds(), {maxZoom: 14, animate: false});
    layer.openPopup(layer.getBounds().getCenter());
    if (window.matchMedia("(max-width: 720px)").matches) {  // phones: the map is above the panel; show it
      map.getContainer().scrollIntoView({block: "start"});
    }
  }

  // an area: "Neukölln – Bezirk 08"; an address: "Ackerstraße 1A, 10115 Mitte → Planungsraum Oranienburger Straße"
  function describe(hit) {
    var level = say("lang") === "en" && hit.level_name_en ? hit.level_name_en : hit.level_name_de;
    if (hit.kind === "address") { return hit.label + " → " + level + " " + hit.name + " (" + hit.key + ")"; }
    return hit.name + " – " + level + " " + hit.key + (hit.parent_name ? " (" + hit.parent_name + ")" : "");
  }

  function show(hit) {
    var out = document.getElementById("search-result");
    out.textContent = describe(hit);
    if (hit.level === drawing.level) { select(hit.key); return; }
    pending = hit.key;
    var url = new URL(stateUrl(document.getElementById("state")), location.href);
    url.searchParams.set("level", hit.level);
    url.searchParams.delete("compare");
    var bounds = L.latLngBounds([[hit.bbox[1], hit.bbox[0]], [hit.bbox[3], hit.bbox[2]]]);
    var centre = bounds.getCenter();
    url.hash = "map=" + centre.lat.toFixed(5) + "," + centre.lng.toFixed(5) + "," + Math.min(map.getBoundsZoom(bounds), 14);
    go(url.pathname + url.search + url.hash, true);
  }

  function search(wanted) {
    var out = document.getElementById("search-result");
    var list = document.getElementById("search-hits");
    list.textContent = "";
    if (!wanted.trim()) { return; }
    out.textContent = say("searching");
    fetch("/api/search?" + new URLSearchParams({q: wanted.trim(), limit: "12"}), {credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.json() : {hits: []}; })
      .then(function (answer) {
        if (!answer.hits.length) { out.textContent = say("notFound") + " " + wanted; return; }
        out.textContent = answer.hits.length === 1 ? say("oneHit")
          : say("hits").replace("%(count)s", String(answer.hits.length));
        answer.hits.forEach(function (hit) {
          var item = document.createElement("li");
          var button = document.createElement("button");
          button.type = "button";
          button.className = "hit";
          button.textContent = describe(hit);
          button.addEventListener("click", function () { show(hit); });
          item.appendChild(button);
          list.appendChild(item);
        });
        if (answer.hits[0].exact || answer.hits.length === 1) { show(answer.hits[0]); }
      }, function () { out.textContent = say("searchDown"); });
  }

  // the table alternative to the map: every area of the drawing with its texts, sorted by rank, links to the
  // profiles; built when opened (as text, like the tooltips)
  function fillTable() {
    var body = document.querySelector("#area-table tbody");
    if (!body || body.childElementCount) { return; }
    var shownAreas = areas;
    // the names come with the shapes (already loaded for the map)
    geometry(drawing.geometry).then(function (collection) {
      if (shownAreas !== areas || body.childElementCount) { return; }
      var names = {};
      collection.features.forEach(function (feature) { names[feature.id] = feature.properties.name; });
      var rank = function (key) { var r = areas.rank(key); return r === null ? Infinity : r; };
      var keys = areas.keys.slice();
      keys.sort(function (a, b) { return rank(a) - rank(b) || String(names[a]).localeCompare(String(names[b]), "de"); });
      keys.forEach(function (key) { addRow(body, areas.details(key, names[key] || key), areas.rank(key)); });
    });
  }

  function rowLabel(name) {
    var found = rows.filter(function (row) { return row[0] === name; })[0];
    return found ? found[1] : name;
  }

  function addRow(body, details, rank) {
    var tr = document.createElement("tr");
    var name = document.createElement("td");
    var link = document.createElement("a");
    link.href = "/areas/" + encodeURIComponent(drawing.level) + "/" + encodeURIComponent(details.key);
    link.textContent = details.name;
    name.appendChild(link);
    tr.appendChild(name);
    [details.key, details.wert, rank === null ? "–" : String(rank), details.klasse || "–"].forEach(function (text) {
      var td = document.createElement("td");
      td.textContent = text;
      tr.appendChild(td);
    });
    if (details.veroeffentlicht) {  // a smoothed map: the published value under the smoothed one, as in the tooltip
      var published = document.createElement("span");
      published.className = "published";
      published.textContent = rowLabel("veroeffentlicht") + " " + details.veroeffentlicht;
      tr.children[2].appendChild(published);
    }
    body.appendChild(tr);
  }

  function bindPanel() {
    var form = document.getElementById("state");
    var table = document.getElementById("area-table");
    if (table) { table.addEventListener("toggle", function () { if (table.open) { fillTable(); } }); }
    Array.prototype.forEach.call(form.querySelectorAll("select"), function (select) {
      select.addEventListener("change", function () { go(stateUrl(form), true); });
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      go(stateUrl(form), true);
    });
    var slider = document.getElementById("period-slider");
    if (slider) {  // the timeline: oldest left; the period list is newest first
      var periods = form.querySelector("select[name=period]");
      var periodAt = function () { return periods.options[periods.options.length - 1 - Number(slider.value)]; };
      slider.addEventListener("input", function () { slider.setAttribute("aria-valuetext", periodAt().text); });
      slider.addEventListener("change", function () {
        periods.value = periodAt().value;
        go(stateUrl(form), true);
      });
    }
    var play = document.getElementById("play");
    if (play) { play.addEventListener("click", togglePlaying); }
    showPlayer();  // a new panel: the button says what a press does now
    document.getElementById("copy-link").addEventListener("click", copyLink);
    document.getElementById("search-form").addEventListener("submit", function (event) {
      event.preventDefault();
      var text = document.getElementById("search-input").value;
      var inList = /\(([^()]+)\)\s*$/.exec(text);  // a name picked from the list: "Name (key)"
      if (inList && layers[inList[1]]) { select(inList[1]); return; }
      search(text);
    });
  }

  // the map's extent lives in the address's fragment (#map=lat,lon,zoom): shared with the link, kept on reload,
  // never sent to the server (pages and their caches stay one per state)
  function extentFromAddress() {
    var found = /map=(-?\d+(?:\.\d+)?),(-?\d+(?:\.\d+)?),(\d+(?:\.\d+)?)/.exec(location.hash);
    if (!found) { return null; }
    var lat = parseFloat(found[1]), lon = parseFloat(found[2]), zoom = parseFloat(found[3]);
    if (Math.abs(lat) > 90 || Math.abs(lon) > 180 || zoom > 20) { return null; }
    return {centre: [lat, lon], zoom: zoom};
  }

  function extentToAddress() {
    var centre = map.getCenter();
    var fragment = "#map=" + centre.lat.toFixed(5) + "," + centre.lng.toFixed(5) + "," + map.getZoom();
    history.replaceState(history.state, "", location.pathname + location.search + fragment);
  }

  function copyLink() {
    var out = document.getElementById("copy-result");
    var link = location.href;
    var done = function () { out.textContent = say("copied"); };
    var shown = function () { out.textContent = link; };  // no clipboard (e.g. plain http): show it to copy by hand
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(link).then(done, shown);
    } else {
      shown();
    }
  }

  function ready(leafletMap, layerControl) {
    map = leafletMap;
    control = layerControl;
    map.invalidateSize();
    var extent = extentFromAddress();
    readDrawing();
    if (extent) {
      map.setView(extent.centre, extent.zoom, {animate: false});
    } else if (drawing.bounds) {
      map.fitBounds(drawing.bounds, {animate: false});
    }
    map.on("moveend", extentToAddress);
    history.replaceState({explorer: true}, "", location.href);
    window.addEventListener("popstate", function () {
      // a fragment of its own (the skip link, the map extent) is not another state: nothing to fetch
      if (location.pathname + location.search === shownPage) { return; }
      go(location.href, false);
    });
    bindPanel();
    var mine = ++sequence;
    setBusy(true);
    draw(mine).then(function () { setBusy(false); },
                    function () { failed(say("shapesFailed")); });
  }

  return {ready: ready};
})();
