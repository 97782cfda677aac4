// Every U.S. county's outline as SVG path data, drawn per state, from us-atlas: the Census
// Bureau's cartographic boundary files (2017 edition, 1:10,000,000) as TopoJSON. Each state is
// projected on its own (a conic equal-area projection centred on it, standard parallels a sixth
// of its height in from its edges) and fitted to a 600 x 400 box; coordinates to 0.1 unit.
// Writes data/geo/counties.json: {state FIPS: {name, counties: {county FIPS: {name, d}}}}.
// Run by scripts/build-county-map.sh.
import fs from "node:fs";
import { createRequire } from "node:module";
import { geoBounds, geoCentroid, geoConicEqualArea, geoPath } from "d3-geo";
import { feature } from "topojson-client";

const require = createRequire(import.meta.url);
const atlas = JSON.parse(fs.readFileSync(require.resolve("us-atlas/counties-10m.json")));
const counties = feature(atlas, atlas.objects.counties).features;
const states = feature(atlas, atlas.objects.states).features;
const WIDTH = 600;
const HEIGHT = 400;

const out = {};
for (const state of [...states].sort((a, b) => a.id.localeCompare(b.id))) {
  const own = counties
    .filter((county) => county.id.slice(0, 2) === state.id)
    .sort((a, b) => a.id.localeCompare(b.id));
  const [[, south], [, north]] = geoBounds(state);
  const [longitude, latitude] = geoCentroid(state);
  const sixth = (north - south) / 6;
  const projection = geoConicEqualArea()
    .parallels([south + sixth, north - sixth])
    .rotate([-longitude, 0])
    .center([0, latitude])
    .fitSize([WIDTH, HEIGHT], { type: "FeatureCollection", features: own });
  const path = geoPath(projection).digits(1);
  out[state.id] = {
    name: state.properties.name,
    counties: Object.fromEntries(own.map((c) => [c.id, { name: c.properties.name, d: path(c) }])),
  };
}
fs.writeFileSync(process.argv[2], JSON.stringify(out) + "\n");
