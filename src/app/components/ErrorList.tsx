/**
 * Errors shown where they happened: a panel lists the errors of its own action (`where`), and the floating
 * list (fixed to the bottom of the window, so it is in view wherever the page is scrolled) keeps only those
 * with no panel of their own. The runtime's raw words sit behind "details".
 */
import { dismissError, useLab, type LabError } from '../store';

/** Where each experiment view reports its errors (the `where` of pushError), by the view's run kind. */
export const VIEW_ERRORS: Record<string, string> = { pipeline: 'Trait pipeline', sweep: 'Sweep', monitor: 'Projections', detection: 'Detection', ablation: 'Ablation', seed002: 'Seed 002' };

/** Actions whose errors appear inside their own panel rather than in the top banner. */
export const INLINE_ERRORS = new Set(['Generate', 'Contrast', 'Model', 'Model B', 'Run history', ...Object.values(VIEW_ERRORS)]);

function ErrorItem({ e }: { e: LabError }) {
  return (
    <div className="error">
      <span className="mono code">{e.code}</span>
      <span>
        <strong>{e.where}:</strong> {e.message}
        {e.detail && <details className="error-detail"><summary>details</summary><pre className="mono small">{e.detail}</pre></details>}
      </span>
      <button className="ghost small" onClick={() => dismissError(e.id)} aria-label="Dismiss">✕</button>
    </div>
  );
}

/** The errors of one action (`where`), or with no `where` those that have no panel of their own. */
export function ErrorList({ where }: { where?: string }) {
  const errors = useLab((s) => s.errors).filter((e) => (where ? e.where === where : !INLINE_ERRORS.has(e.where)));
  if (!errors.length) return null;
  return (
    <div className={`errors${where ? ' inline' : ' floating'}`} role="alert">
      {errors.map((e) => <ErrorItem key={e.id} e={e} />)}
      {!where && errors.length > 1 && <button className="ghost small dismiss-all" onClick={() => errors.forEach((e) => dismissError(e.id))}>Dismiss all {errors.length}</button>}
    </div>
  );
}
