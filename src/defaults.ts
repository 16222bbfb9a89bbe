// Named defaults with their units; the config reference in docs/configuration.md lists the same values.

export const DEFAULT_CONFIG_FILE = 'orchestrator.config.json';
export const DEFAULT_PROXY_PORT = 8080;
export const DEFAULT_ADMIN_PORT = 8081;
export const DEFAULT_SLOT_A_PORT = 9001;
export const DEFAULT_SLOT_B_PORT = 9002;
export const DEFAULT_KEEP_RELEASES = 5;
export const DEFAULT_INSTANCES = 1;

export const DEFAULT_HEALTH_INTERVAL_MS = 100;
export const DEFAULT_HEALTH_TIMEOUT_MS = 20_000;
/** One health probe may take this long before it counts as a failed attempt. */
export const DEFAULT_HEALTH_PROBE_TIMEOUT_MS = 2_000;
export const MAX_HEALTH_BACKOFF_MS = 1_000;
/** Health poll interval while requests are held (hotswap, in-place deploy). */
export const FAST_HEALTH_INTERVAL_MS = 10;
/** How often a running health step reports its attempts so far (the deploy's progress lines). */
export const HEALTH_PROGRESS_INTERVAL_MS = 1_000;

export const DEFAULT_DRAIN_GRACE_MS = 30_000;
export const DEFAULT_DRAIN_IDLE_MS = 2_000;
export const DEFAULT_DRAIN_TIMEOUT_MS = 300_000;
export const DEFAULT_DRAIN_STOP_TIMEOUT_MS = 10_000;
/** Open WebSockets and event streams keep a draining slot at most this long (never past drain.timeoutMs), then get close 1001 / their end. */
export const DEFAULT_DRAIN_WEBSOCKET_GRACE_MS = DEFAULT_DRAIN_TIMEOUT_MS;
/** How often a drain looks at the in-flight count. */
export const DRAIN_POLL_MS = 20;

export const DEFAULT_HOLD_TIMEOUT_MS = 30_000;
export const DEFAULT_HOLD_MAX_QUEUED = 10_000;
/** Path under which the proxy serves each version's client files (/_app/<version>/...). */
export const APP_FILES_PREFIX = '/_app';
/** Live versions whose client files stay served after their slot stopped (clients.keepAppVersions). */
export const DEFAULT_KEEP_APP_VERSIONS = 2;
export const DEFAULT_UPGRADE_STATUS = 426;
export const DEFAULT_UPLOAD_MAX_BYTES = 256 * 1024 * 1024;
/** An upload that sends nothing for this long is dropped (it would otherwise wait for the 1-hour request timeout). */
export const DEFAULT_UPLOAD_IDLE_TIMEOUT_MS = 30_000;

/** Client-facing keep-alive must outlive a load balancer's idle timeout in front of us. */
export const PROXY_KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** headersTimeout must exceed keepAliveTimeout (Node requirement for a reused connection). */
export const PROXY_HEADERS_TIMEOUT_MS = 66_000;
/** proxy.tls.port when TLS is on and the config names no port. */
export const DEFAULT_TLS_PORT = 8443;
/** Plain-HTTP requests under this path are answered, not redirected, when proxy.redirectHttp is on (ACME HTTP-01). */
export const ACME_CHALLENGE_PREFIX = '/.well-known/acme-challenge/';
/** ACME renews when fewer than this many days of a certificate's lifetime remain (or less than a third of it). */
export const ACME_RENEW_BEFORE_DAYS = 30;
/** How often the ACME renewal timer looks at the certificate's expiry. */
export const ACME_CHECK_INTERVAL_MS = 12 * 3_600_000;
/** Back-off between failed ACME attempts: first wait, longest wait, attempts per round. */
export const ACME_RETRY_MIN_MS = 2_000;
export const ACME_RETRY_MAX_MS = 30 * 60_000;
export const ACME_RETRIES = 6;
/** One HTTP request to the ACME server may take this long before the attempt counts as failed. */
export const ACME_REQUEST_TIMEOUT_MS = 30_000;
/** Certificate files are polled this often for a change (fs.watchFile; survives files replaced by rename). */
export const TLS_WATCH_INTERVAL_MS = 500;
/** A change is applied once the files were quiet this long: more than one poll, so a cert and its key written one after the other reload once. */
export const TLS_WATCH_DEBOUNCE_MS = 1_000;
/** Requests the proxy works on at once before a keep-alive connection waits to be read again (0: no limit). */
export const DEFAULT_PROXY_MAX_ACTIVE_REQUESTS = 256;
/** The fewest places the gate narrows to while the daemon's own event loop is the bottleneck (src/proxy/admission-places.ts). */
export const PROXY_MIN_ACTIVE_REQUESTS = 32;
/** Event-loop utilization over an epoch at or above which the daemon is busy: more requests at once only cost more. */
export const PROXY_PLACES_BUSY_UTILIZATION = 0.9;
/** Below it the loop has time to spare: connections that wait are waiting on the instances, so the gate widens. */
export const PROXY_PLACES_SPARE_UTILIZATION = 0.7;
/** After this long a request no longer holds one of those places (long polls, event streams). */
export const PROXY_LONG_REQUEST_MS = 1_000;
/** The admission gate's clock: how often requests are aged. */
export const PROXY_ADMISSION_EPOCH_MS = 50;
/** Requests one connection may send ahead of its answers (HTTP/1.1 pipelining); past it the connection is closed. */
export const PROXY_MAX_PIPELINED_REQUESTS = 32;
/** Node's own default for a whole request; raised to outlast hold.timeoutMs. */
export const PROXY_MIN_REQUEST_TIMEOUT_MS = 300_000;
/** Upstream agent sockets idle out before the backend's own keep-alive would close them. */
export const UPSTREAM_SOCKET_IDLE_MS = 4_000;
export const UPSTREAM_MAX_FREE_SOCKETS = 256;
/** A departed client's body-less request is let finish, so its upstream connection is kept, unless its answer takes longer than this... */
export const ABANDONED_ANSWER_MAX_MS = 2_000;
/** ...or carries more than this many bytes (an endless stream nobody reads). */
export const ABANDONED_ANSWER_MAX_BYTES = 256 * 1024;
/** An instance that sends no response headers within this long gets the request answered 504 (nginx's proxy_read_timeout). */
export const DEFAULT_UPSTREAM_HEADERS_TIMEOUT_MS = 60_000;
/** An instance silent this long in the middle of a response body has the response cut off. */
export const DEFAULT_UPSTREAM_BODY_TIMEOUT_MS = 60_000;
/** After one side of a WebSocket ends, the other gets this long to flush before both sockets are destroyed. */
export const WEBSOCKET_CLOSE_LINGER_MS = 5_000;
/** After a close frame 1001 is sent, the client gets this long to answer it before both sockets are ended. */
export const WEBSOCKET_GOING_AWAY_LINGER_MS = 500;
export const RETRY_AFTER_SECONDS = 1;
/** After answering a malformed request, how long the proxy keeps reading before it closes (a close with unread bytes resets the answer away). */
export const CLIENT_ERROR_LINGER_MS = 2_000;

/** Admin uploads can be slow: give them an hour. */
export const ADMIN_REQUEST_TIMEOUT_MS = 3_600_000;
export const TOKEN_BYTES = 32;

export const LOG_MAX_BYTES = 5 * 1024 * 1024;
export const LOG_TAIL_LINES = 40;
/** How often the daemon checks an instance log against LOG_MAX_BYTES (copy-truncate): the cap can be passed by what an app writes in this time. */
export const LOG_ROTATE_CHECK_MS = 1_000;

export const HISTORY_MAX_ENTRIES = 500;
export const AUDIT_MAX_ENTRIES = 2_000;
/** Releases remembered as once live (what rollback walks); their archives are the ones keepReleases keeps. */
export const LIVE_RELEASES_MAX_ENTRIES = 20;
/** Daemon shutdown waits this long for in-flight requests before stopping instances anyway. */
export const SHUTDOWN_DRAIN_TIMEOUT_MS = 30_000;

/** Instance restarts back off from this delay, doubling up to the maximum. */
export const RESTART_BACKOFF_MIN_MS = 100;
export const RESTART_BACKOFF_MAX_MS = 5_000;
/** This many restarts of one instance within the window is a crash loop: no more restarts. */
export const CRASH_LOOP_LIMIT = 5;
export const CRASH_LOOP_WINDOW_MS = 60_000;

/** State-file bounds in bytes, so a write (which serialises the whole file) stays small whatever is recorded. */
export const HISTORY_MAX_BYTES = 1024 * 1024;
export const AUDIT_MAX_BYTES = 512 * 1024;
export const AUDIT_ACTION_MAX_BYTES = 200;
export const HISTORY_ERROR_MAX_BYTES = 2_048;
export const HISTORY_STEP_DETAIL_MAX_BYTES = 512;

/** Refused admin requests are logged at most once per this interval, with the count refused since. */
export const AUTH_FAILURE_LOG_INTERVAL_MS = 10_000;
/** How much of a refused request's path the log line keeps. */
export const AUTH_FAILURE_LOG_PATH_MAX_BYTES = 200;

/** A `logs --follow` client with more than this unsent is too slow and is dropped. */
export const DEFAULT_LOG_FOLLOW_BUFFER_BYTES = 1024 * 1024;
/** A dropped follower gets this long to take its last line before its socket is destroyed. */
export const LOG_FOLLOW_DROP_GRACE_MS = 10_000;
/** A follower reads the log in chunks of at most this size, checking its buffer between chunks. */
export const LOG_FOLLOW_READ_BYTES = 256 * 1024;

/** How long a deploy's --smoke command may run before it is killed (its whole process group) and the deploy fails. */
export const DEFAULT_SMOKE_TIMEOUT_MS = 60_000;
/** The longest --smoke-timeout-ms accepted: the deploy holds the operation lock while the smoke command runs. */
export const MAX_SMOKE_TIMEOUT_MS = 30 * 60_000;
/** The longest --smoke command accepted (characters). */
export const MAX_SMOKE_COMMAND_CHARS = 4_096;
/** Lines of the smoke command's output kept for the error (stdout and stderr, interleaved). */
export const SMOKE_OUTPUT_TAIL_LINES = 40;
/** The Retry-After of maintenance answers when `maintenance on` names none (seconds). */
export const DEFAULT_MAINTENANCE_RETRY_AFTER_S = 60;
/** The longest --retry-after accepted (seconds): a day. */
export const MAX_MAINTENANCE_RETRY_AFTER_S = 86_400;
/** The largest --page file `maintenance on` accepts: the page is kept in memory and in the state file. */
export const MAX_MAINTENANCE_PAGE_BYTES = 1024 * 1024;
/** The longest maintenance message (characters). */
export const MAX_MAINTENANCE_MESSAGE_CHARS = 2_000;
/** Canary analysis (issue 14): the sliding window over a slot's answers, and how many it needs before judging. */
export const DEFAULT_ANALYSIS_WINDOW_MS = 10_000;
export const DEFAULT_ANALYSIS_MIN_REQUESTS = 20;
/** The longest window the per-slot counts keep (slices of ANALYSIS_SLICE_MS each). */
export const ANALYSIS_WINDOW_MAX_MS = 120_000;
export const ANALYSIS_SLICE_MS = 250;
/** How often a running canary or watch looks at its figures. */
export const ANALYSIS_TICK_MS = 250;
/** Versions per slot whose request counts /metrics keeps (older series end). */
export const METRICS_VERSIONS_PER_SLOT = 4;
/** slotswap restart: how long a restart waits for a running operation before it refuses with 409 / exit 4. */
export const RESTART_LOCK_WAIT_MS = 30_000;
/** slotswap restart: how long the new daemon gets to adopt the instances and report ready before it is killed. */
export const RESTART_READY_TIMEOUT_MS = 60_000;
/** slotswap restart: the old daemon's bound on finishing its in-flight requests after the new one serves. */
export const RESTART_OLD_DRAIN_TIMEOUT_MS = 30_000;
/** slotswap restart: how long the old daemon waits for its WebSockets to close after sending them close 1001. */
export const RESTART_WEBSOCKET_CLOSE_MS = 5_000;
/** `slotswap config check` asks the running daemon for its config at most this long, then compares nothing. */
export const CONFIG_CHECK_DAEMON_TIMEOUT_MS = 3_000;
/** How often an adopted instance (not our child: no exit event) is checked for still running. */
export const ADOPTED_EXIT_POLL_MS = 200;
/** Fleet (docs/fleet.md): a node's registration and the etcd operation lock expire this long after its last keep-alive. */
export const DEFAULT_FLEET_LEASE_TTL_S = 5;
/** One etcd call (read, transaction, lock) gives up after this long: etcd is then reported unreachable. */
export const FLEET_ETCD_CALL_TIMEOUT_MS = 2_000;
/** An etcd member that failed 3 calls in a row is skipped this long, then tried again (etcd3's default, 5 s, delayed re-registration after an outage). */
export const FLEET_ETCD_HOST_RETRY_MS = 500;
/** A node's registration (live slot, version, healthy instances) is rewritten this often. */
export const FLEET_HEARTBEAT_INTERVAL_MS = 1_000;
/** How long the coordinator waits for every node to prepare (fetch, place, start, health) a release. */
export const FLEET_PREPARE_TIMEOUT_MS = 120_000;
/** How long the coordinator waits, after the flip transaction, for every node to serve the new release. */
export const FLEET_FOLLOW_TIMEOUT_MS = 10_000;
/** A node follows a fleet flip even while a local operation briefly holds its lock: this many tries, this far apart. */
export const FLEET_LOCAL_LOCK_RETRIES = 50;
export const FLEET_LOCAL_LOCK_RETRY_MS = 100;
/** A node that could not bring up or follow the fleet's release tries again after this long, doubling up to the max. */
export const FLEET_RECONCILE_RETRY_MS = 1_000;
export const FLEET_RECONCILE_RETRY_MAX_MS = 30_000;
/** A fleet settings change (notice, maintenance, hold) re-reads and retries its transaction this many times on a conflict. */
export const FLEET_SETTINGS_WRITE_ATTEMPTS = 5;

/** How many entries the fleet's history in etcd keeps (<prefix>history/): older ones are deleted as new ones come. */
export const FLEET_HISTORY_KEEP = 100;

/**
 * After each full GC the daemon's old generation may grow by this much over what is still live before the next one
 * (V8's --heap-growing-percent; left to itself V8 allows up to 4x): requests in flight at 1,000+ clients are promoted
 * at megabytes a second, and that garbage, not the connections, was most of the daemon's RSS.
 */
export const DAEMON_HEAP_GROWING_PERCENT = 50;
