// Which USWDS selectors the portal keeps: those its templates, scripts and Python write, plus
// the ones USWDS's own script adds at run time (the file input's parts, open menus and panels).
module.exports = {
  content: [
    "../templates/**/*.html",
    "../static/js/*.js",
    "../portal/**/*.py",
  ],
  // Tailwind-style extractor: keeps "tablet:grid-col-4" and "usa-alert--{{" prefixes whole.
  defaultExtractor: (content) => content.match(/[A-Za-z0-9_:-]+/g) || [],
  safelist: {
    standard: [
      /^usa-alert--/, // usa-alert--{{ kind }} (flash messages)
      /^usa-file-input/, // built by uswds.js around <input type=file>
      /^usa-js-/, /^is-/, /^usa-sr-only/, /^usa-focus/,
      /--expanded$/, // usa-banner__header--expanded, set by uswds.js
      /has-invalid-file/, // the file input's refusal of a wrong file type, set by uswds.js
      /^usa-(radio|checkbox)/, // macros/forms.html builds "usa-" ~ kind ~ "__input"
    ],
    // No "greedy" patterns: one for /disabled/ and /aria-/ kept every component's disabled,
    // aria-disabled and --hover/--active variants and the sortable table's header buttons
    // (26 KB) although no page uses them; attribute selectors the pages do use, such as
    // [aria-expanded=false], are kept without it (scripts/compare_css.py showed no change).
  },
  fontFace: false,
  keyframes: true,
  variables: false,
};
