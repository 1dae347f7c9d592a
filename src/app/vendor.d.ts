/// <reference types="vite/client" />
// plotly.js-cartesian-dist-min ships no typings; we use three calls (see components/Chart.tsx).
declare module 'plotly.js-cartesian-dist-min' {
  const Plotly: unknown;
  export default Plotly;
}
