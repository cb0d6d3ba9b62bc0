// Tailwind CSS for the admin console, built by `make css` into
// static/css/app.css. Tailwind keeps only the classes it finds in `content`:
// the templ views and the Go helpers beside them, which may return class
// names. Write class names whole in those files (never "bg-" + colour), or
// they will be missing from the build. The component classes (.btn, .input,
// .badge-active, ...) are in static/css/input.css and are kept the same way:
// only when a view names them.
const defaultTheme = require('tailwindcss/defaultTheme');

/** @type {import('tailwindcss').Config} */
module.exports = {
  content: ['./views/**/*.templ', './views/**/*.go'],
  theme: {
    extend: {
      fontFamily: {
        // The system's own fonts: nothing to download, nothing for the CSP to allow.
        sans: ['system-ui', ...defaultTheme.fontFamily.sans],
        mono: ['ui-monospace', ...defaultTheme.fontFamily.mono],
      },
    },
  },
  plugins: [
    // Resets <input>, <select> and <textarea> to a plain, stylable base
    // (the select keeps an arrow, as an inline SVG data: URL, which the
    // page's CSP allows through img-src data:).
    require('@tailwindcss/forms'),
  ],
};
