// What @camptocamp/ogc-client (a web-GIS client library) discovers on an OGC API endpoint; prints JSON.
// Usage: node discover.mjs BASE_URL COLLECTION
import { OgcApiEndpoint } from "./ogc-client.js";

const [base, collection] = process.argv.slice(2);
const endpoint = new OgcApiEndpoint(base);
const info = await endpoint.getCollectionInfo(collection);
const result = {
  conformance: (await endpoint.conformanceClasses).length,
  hasFeatures: await endpoint.hasFeatures,
  hasTiles: await endpoint.hasTiles,
  featureCollections: await endpoint.featureCollections,
  vectorTileCollections: await endpoint.vectorTileCollections,
  tileMatrixSets: await endpoint.tileMatrixSets,
  collection: { id: info.id, title: info.title, itemFormats: info.itemFormats, queryables: info.queryables.length,
                sortables: (info.sortables || []).length, crs: info.crs },
  vectorTiles: await endpoint.getVectorTilesetUrl(collection, "WebMercatorQuad"),
  items: (await endpoint.getCollectionItems(collection, 3, 0)).map((item) => item.id),
  itemsUrl: await endpoint.getCollectionItemsUrl(collection, { limit: 5, asJson: true }),
};
// the tileset document the library found names the tile template, as a map library reads it
const tileset = await (await fetch(result.vectorTiles, { headers: { Accept: "application/json" } })).json();
const template = (tileset.links || []).find((link) => link.rel === "item" && link.templated);
result.tileTemplate = template ? template.href : null;
if (template) {
  const tile = await fetch(template.href.replace("{tileMatrix}", "12").replace("{tileRow}", "1343")
    .replace("{tileCol}", "2200"));
  result.tile = { status: tile.status, type: tile.headers.get("content-type"), bytes: (await tile.arrayBuffer()).byteLength };
}
console.log(JSON.stringify(result));
