/// <reference types="vite/client" />
// plotly.js-dist-min ships no typings; we use three calls (see components/Chart.tsx).
declare module 'plotly.js-dist-min' {
  const Plotly: unknown;
  export default Plotly;
}
