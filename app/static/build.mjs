// Build front-end assets into app/static/dist/ (gitignored). Offline: only reads node_modules.
import { cpSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import * as sass from "sass";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const modules = join(root, "node_modules");
const dist = join(root, "app", "static", "dist");

function copy(from, to, options = {}) {
  cpSync(join(modules, from), join(dist, to), { recursive: true, ...options });
}

// GOV.UK Frontend warns when MOJ Frontend uses its deprecated mixins; we cannot fix those, so count them instead.
function quietUpstreamWarnings() {
  let hidden = 0;
  process.on("exit", () => hidden && console.log(`Hid ${hidden} upstream GOV.UK Frontend deprecation warning(s).`));
  return {
    warn(message, { deprecation, span, stack }) {
      if (message.includes("$govuk-suppressed-warnings")) return void hidden++;
      const where = span ? `${span.url}:${span.start.line + 1}` : (stack ?? "").split("\n")[0];
      console.warn(`Sass warning${deprecation ? " (deprecation)" : ""}: ${message}\n    ${where}`);
    },
  };
}

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

const css = sass.compile(join(root, "app", "static", "src", "app.scss"), {
  style: "compressed",
  loadPaths: [root],
  quietDeps: true,
  logger: quietUpstreamWarnings(),
});
writeFileSync(join(dist, "app.css"), css.css);

const govuk = "govuk-frontend/dist/govuk";
copy(`${govuk}/govuk-frontend.min.js`, "govuk/govuk-frontend.min.js");
copy(`${govuk}/govuk-frontend.min.js.map`, "govuk/govuk-frontend.min.js.map");
copy(`${govuk}/assets`, "govuk/assets", { filter: (src) => !src.includes(`${join("assets", "fonts")}`) });

const moj = "@ministryofjustice/frontend/moj";
copy(`${moj}/moj-frontend.min.js`, "moj/moj-frontend.min.js");
copy(`${moj}/moj-frontend.min.js.map`, "moj/moj-frontend.min.js.map");
copy(`${moj}/assets`, "moj/assets");

for (const bundle of ["bpmn-navigated-viewer", "bpmn-modeler"]) {
  copy(`bpmn-js/dist/${bundle}.production.min.js`, `bpmn-js/${bundle}.production.min.js`);
}
copy("bpmn-js/dist/assets", "bpmn-js/assets");

// The studio's decision-table editor (dmn-js): the modeler bundle (DRD, decision table, literal expression) + css.
// The development bundle: the minified one logs an Inferno "minified development build" console error on load.
copy("dmn-js/dist/dmn-modeler.development.js", "dmn-js/dmn-modeler.development.js");
copy("dmn-js/dist/assets", "dmn-js/assets");

console.log(`Built ${dist}`);
