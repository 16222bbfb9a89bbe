// The median of the numbers in a list (other values skipped), or null when there are none.
/** @param {unknown[]} values @returns {number | null} */
export function median(values) {
  const v = /** @type {number[]} */ (values.filter((x) => typeof x === 'number' && !Number.isNaN(x))).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
}
