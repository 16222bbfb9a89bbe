import { describe, expect, it } from 'vitest';
import { nextPlaces } from '../../src/proxy/admission-places.js';

describe('the admission gate\'s places', () => {
  it('stay as they are while no connection waits, however busy the loop', () => {
    expect(nextPlaces(256, { utilization: 1, pressed: false }, 32, 256)).toBe(256);
    expect(nextPlaces(40, { utilization: 0.1, pressed: false }, 32, 256)).toBe(40);
  });

  it('narrow while connections wait and the loop is busy: the daemon is the bottleneck', () => {
    expect(nextPlaces(256, { utilization: 0.95, pressed: true }, 32, 256)).toBe(204);
    expect(nextPlaces(204, { utilization: 0.9, pressed: true }, 32, 256)).toBe(163);
  });

  it('never narrow below the floor', () => {
    expect(nextPlaces(35, { utilization: 1, pressed: true }, 32, 256)).toBe(32);
    expect(nextPlaces(32, { utilization: 1, pressed: true }, 32, 256)).toBe(32);
  });

  it('widen while connections wait and the loop has time to spare: the requests wait on the instances', () => {
    expect(nextPlaces(32, { utilization: 0.3, pressed: true }, 32, 256)).toBe(48);
    expect(nextPlaces(48, { utilization: 0.69, pressed: true }, 32, 256)).toBe(72);
  });

  it('never widen past proxy.maxActiveRequests', () => {
    expect(nextPlaces(200, { utilization: 0, pressed: true }, 32, 256)).toBe(256);
    expect(nextPlaces(256, { utilization: 0, pressed: true }, 32, 256)).toBe(256);
  });

  it('hold between the two marks, so a loop at its working point does not swing the places', () => {
    expect(nextPlaces(100, { utilization: 0.8, pressed: true }, 32, 256)).toBe(100);
  });

  it('reach the floor from the ceiling in nine busy epochs (under half a second) and the ceiling again in six spare ones', () => {
    let places = 256;
    let epochs = 0;
    while (places > 32) (places = nextPlaces(places, { utilization: 1, pressed: true }, 32, 256)), epochs++;
    expect(epochs).toBe(9);
    epochs = 0;
    while (places < 256) (places = nextPlaces(places, { utilization: 0.2, pressed: true }, 32, 256)), epochs++;
    expect(epochs).toBe(6);
  });
});
