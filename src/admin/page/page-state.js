// The state the page's modules share: the last status the daemon sent, and whether an action is running.

export const SLOTS = ['a', 'b'];

export const ui = {
  status: null,
  statusAt: 0,
  busy: false,
};
