// Builds the staff web's static assets into static/dist and static/govuk:
// GOV.UK Frontend compiled with our own typeface settings, and its JavaScript.
import { compile } from "sass";
import { cpSync, mkdirSync, writeFileSync } from "node:fs";

const root = new URL("..", import.meta.url).pathname;
mkdirSync(`${root}static/dist`, { recursive: true });

const css = compile(`${root}assets/scss/app.scss`, {
  loadPaths: [`${root}node_modules`],
  style: "compressed",
  quietDeps: true,
  silenceDeprecations: ["import"],
});
// The footer's copyright logo is GOV.UK's crest, which only GOV.UK services may show (we never use that
// element). Its url() would point at a file we do not ship, and Django's manifest storage refuses a
// stylesheet that refers to a missing file (collectstatic fails), so the reference is removed.
writeFileSync(`${root}static/dist/app.css`, css.css.replaceAll(/url\("?[^")]*govuk-crest\.svg"?\)/g, "none"));

cpSync(
  `${root}node_modules/govuk-frontend/dist/govuk/govuk-frontend.min.js`,
  `${root}static/dist/govuk-frontend.min.js`,
);
// The camera scanner of the tag fields (assets/js/scanner.js) and the QR decoder it falls back on (jsQR, for
// browsers without BarcodeDetector): plain files, loaded with <script defer>, no bundler needed.
cpSync(`${root}assets/js/scanner.js`, `${root}static/dist/scanner.js`);
cpSync(`${root}node_modules/jsqr/dist/jsQR.js`, `${root}static/dist/jsQR.js`);
// GOV.UK's images (crown, crest, favicons) are deliberately not copied: they are
// reserved for GOV.UK services. Our favicon is static/favicon.svg.
console.log("built static/dist/app.css, govuk-frontend.min.js, scanner.js and jsQR.js");
