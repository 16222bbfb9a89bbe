// The state the page's modules share: the last status the daemon sent, whether an action is running, and (hotswap)
// the uploaded executable waiting to be swapped in.

export const SLOTS = ['a', 'b'];

export const ui = {
  status: null,
  statusAt: 0,
  busy: false,
  /** hotswap only: GET /api/hotswap/upload's answer ({ pending, bytes, mtime }), null until known. */
  upload: null,
};
