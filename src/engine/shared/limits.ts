/**
 * Bounds on steering strength, in one place: engine validation (steering.ts), share links (io/shareLink.ts), the
 * coefficient list parser (io/lists.ts) and the lab's coefficient controls all read these, so a value one of them
 * accepts is never refused by another.
 */

/**
 * The largest |coefficient|. Residual norms of the supported models run O(1)–O(100) and a unit direction needs a
 * coefficient of that order to act; a thousand leaves room for that and is still far beyond anything useful, so a
 * larger value is almost certainly a typo.
 */
export const MAX_ABS_COEFF = 1000;

/**
 * The coefficient slider spans ±this: diff-of-means vectors already carry the residual gap's size, so the
 * interesting range is a few units either side of 0. Larger values, up to MAX_ABS_COEFF, are typed into the number
 * field beside the slider.
 */
export const COEFF_SLIDER_RANGE = 10;

/** The largest directional-ablation strength (1 removes the direction; 2 reflects it). */
export const MAX_ABLATE = 10;
