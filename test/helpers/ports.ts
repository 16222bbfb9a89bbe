// Free loopback ports for a test daemon: the bench's finder, so tests, bench and demo pick ports one way.
export { freePortRange } from '../../bench/lib/ports.mjs';
