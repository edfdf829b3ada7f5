/** The charts' colours and sizes, declared once (the look of the Vega-Lite charts these replace). */
export const FONT = 'system-ui, -apple-system, "Segoe UI", sans-serif';
export const TEXT = '#222';
export const MUTED = '#555';
export const AXIS = '#888';
export const GRID = '#e4e4e4';
export const FRAME = '#ddd';
export const RULE = '#888';

/** Categorical colours (Tableau 10, Vega's default scheme). */
export const PALETTE = ['#4c78a8', '#f58518', '#e45756', '#72b7b2', '#54a24b', '#eeca3b', '#b279a2', '#ff9da6', '#9d755d', '#bab0ac'];
/** Dash patterns for a second nominal channel (e.g. the interval level); the first is solid. */
export const DASHES = ['', '4 3', '1 2', '8 3 2 3'];
/** Blues for nested interval bands, narrowest (lowest level) darkest. */
export const BLUES = ['#2171b5', '#6baed6', '#9ecae1', '#c6dbef'];

export const SIZE = { title: 14, subtitle: 11, label: 10, axisTitle: 11, legend: 11 } as const;
export const STROKE = 1.2;
/** Set names are shown whole up to this many pixels (the ladder's are long); the full name is in a <title>. */
export const LABEL_LIMIT = 360;
