// Live updates while signed in: the event stream (steps, results, state changes) plus the status poll.
import { setConn } from './connection-indicator.js';
import { followEvents, stopEventStream } from './event-stream.js';
import { trackResult, trackStep } from './render-activity.js';
import { renderStatus } from './render-status.js';
import { refreshHistory, refreshStatus, schedulePoll, scheduleRefresh, stopRefreshing } from './status-refresh.js';

function onEvent({ type, data }) {
  if (type === 'step') {
    trackStep(data);
    scheduleRefresh({ history: data.phase !== 'begin' });
  } else if (type === 'result') {
    trackResult(data);
    scheduleRefresh({ history: true });
  } else if (type === 'state') {
    scheduleRefresh({ history: true });
  }
}

const streamHandlers = {
  onEvent,
  onConnected() {
    setConn(true);
    scheduleRefresh({ history: true }); // events may have been missed while disconnected
  },
  onDisconnected(failures) {
    setConn(false, `updates paused · reconnecting…${failures > 1 ? ` (${failures})` : ''}`);
  },
};

/** Shows `status` if there is one (else fetches it), fetches the history, follows the events and starts the poll. */
export function startLive(status) {
  if (status) renderStatus(status);
  else void refreshStatus();
  void refreshHistory();
  void followEvents(streamHandlers);
  schedulePoll();
}

export function stopLive() {
  stopEventStream();
  stopRefreshing();
}
