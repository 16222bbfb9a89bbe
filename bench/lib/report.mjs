// The printed table and the verdict on each DESIGN Part 3 bar, from the results object that also goes to bench-results.json.
import { median } from './median.mjs';

const pad = (v, n) => String(v ?? '-').padStart(n);
const fmt = (x, digits = 2) => (x === null || x === undefined || Number.isNaN(x) ? '-' : Number(x).toFixed(digits));

/** Each bar: what it asks, the figure, and whether it is met (null: not measured in this run). */
export function evaluateBars(r) {
  const bars = [];
  const add = (name, figure, ok) => bars.push({ name, figure, ok });
  if (r.proxyCost) {
    for (const [clients, row] of Object.entries(r.proxyCost.summary)) {
      const ratio = row.ratios.slotswapToNginx;
      const bar = Number(clients) <= 10 ? 0.55 : 0.4;
      add(`throughput through slotswap >= ${Math.round(bar * 100)}% of nginx's at ${clients} clients`, ratio === null ? 'nginx not installed' : `${(ratio * 100).toFixed(1)}%`, ratio === null ? null : ratio >= bar);
      const caddy = row.slotswapTo?.caddy ?? null;
      add(`slotswap req/s >= Caddy's at ${clients} clients`, caddy === null ? 'Caddy not installed' : `${row.slotswap.rps} vs ${row.caddy.rps} (${fmt(caddy)}x)`, caddy === null ? null : caddy >= 1);
      const cpu = row.ratios.cpuSlotswapToNginx;
      add(`CPU per request <= 4x nginx's at ${clients} clients`, cpu === null ? 'nginx not installed' : `${fmt(cpu, 1)}x`, cpu === null ? null : cpu <= 4);
      if (Number(clients) === 10) {
        const added = row.ratios.p99AddedMs;
        // Beside it, what the same takes through nginx and through the floor of a Node proxy on undici.
        const others = [row.nginx ? `nginx +${fmt(row.ratios.nginxP99AddedMs)} ms` : null, row.undici ? `undici floor +${fmt(row.undici.p99Ms - row.direct.p99Ms)} ms` : null].filter(Boolean);
        add('p99 added over direct at 10 clients <= 2 ms', `+${fmt(added)} ms${others.length > 0 ? ` (${others.join(', ')})` : ''}`, added <= 2);
      }
    }
  }
  if (r.connections) {
    const c = r.connections.summary;
    const s10 = c[10]?.slotswap;
    const s1000 = c[1000]?.slotswap;
    if (s10 && s1000) {
      // nginx's own figure beside it: the load generator and the backend share the machine and slow down too.
      const n10 = c[10]?.nginx;
      const n1000 = c[1000]?.nginx;
      const nginxKeeps = n10 && n1000 ? `; nginx keeps ${((n1000.rps / n10.rps) * 100).toFixed(0)}% in the same rounds` : '';
      const byRound = s10.rpsByRound && s1000.rpsByRound ? `; by round ${s1000.rpsByRound.map((x, i) => `${((x / s10.rpsByRound[i]) * 100).toFixed(0)}%`).join(', ')}` : '';
      add('at 1,000 keep-alive clients slotswap keeps >= 80% of its 10-client req/s', `${s1000.rps} vs ${s10.rps} (${((s1000.rps / s10.rps) * 100).toFixed(0)}%${byRound}${nginxKeeps})`, s1000.rps >= 0.8 * s10.rps);
      add('at 1,000 clients < 0.01 new upstream connections per request', fmt(s1000.newUpstreamPerRequest, 4), s1000.newUpstreamPerRequest < 0.01);
      const perClientKb = ((s1000.rssFirstRoundMb - s10.rssFirstRoundMb) * 1024) / 990;
      add('RSS per client connection <= 25 KB (1,000 clients against 10, first round)', `${fmt(perClientKb, 1)} KB`, perClientKb <= 25);
    }
  }
  if (r.deploys) add(`0 failed requests across ${r.deploys.deploys.length} deploys under ${r.deploys.clients} clients`, `${r.deploys.load.failed} of ${r.deploys.load.sent}`, r.deploys.load.failed === 0);
  if (r.hotswap) {
    add(`0 lost requests across ${r.hotswap.swaps.length} hotswaps under ${r.hotswap.clients} clients`, `${r.hotswap.load.failed} of ${r.hotswap.load.sent}`, r.hotswap.load.failed === 0);
    // The start-up is the new server's own, in that very swap (spawn -> healthy, as the daemon timed it); the same build
    // started alone is printed beside it as the independent check. Judged on the median over the swaps (one slow boot on a
    // shared machine shows as the worst).
    const over = r.hotswap.swaps.map((s) => s.overSwapStartupMs);
    const mid = median(over);
    const alone = median(r.hotswap.swaps.map((s) => s.overStartupMs));
    add('hotswap hold <= new server start-up + 100 ms', `hold - start-up: median ${mid} ms, worst ${Math.max(...over)} ms over ${over.length} swaps (against the build started alone: median ${alone} ms)`, mid <= 100);
  }
  if (r.flips) add('flip switch < 1 ms (p99)', `p99 ${fmt(r.flips.switchMs.p99, 3)} ms, max ${fmt(r.flips.switchMs.max, 3)} ms over ${r.flips.flips}`, r.flips.switchMs.p99 < 1);
  if (r.deploys) {
    // The operation's own time, with no traffic; the same figure under 50 clients is printed beside it.
    const m = median(r.deploys.quiet.map((d) => d.toFlippedMs));
    const loaded = median(r.deploys.deploys.map((d) => d.toFlippedMs));
    add('whole deploy of the sample API < 2 s', `median ${m} ms command -> flipped with no traffic (${loaded} ms under ${r.deploys.clients} clients)`, m < 2000);
  }
  if (r.memory?.rssUnderLoadMb) add('daemon RSS under load < 120 MB', `${fmt(r.memory.rssUnderLoadMb, 1)} MB`, r.memory.rssUnderLoadMb < 120);
  if (r.flood) {
    const f = r.flood;
    add('proxy p99 within 5 ms of its baseline while the admin API is flooded with anonymous POSTs', `p99 ${fmt(f.baseline.p99Ms)} -> ${fmt(f.flooded.p99Ms)} ms (+${fmt(f.addedMs.p99)}); state file ${f.stateFileBytes.before} -> ${f.stateFileBytes.after} bytes`, f.addedMs.p99 <= 5 && f.stateFileBytes.after === f.stateFileBytes.before);
  }
  if (r.fleet?.skipped) add('fleet flip propagation p99 < 100 ms', r.fleet.skipped, null);
  else if (r.fleet) {
    const f = r.fleet;
    add('fleet flip propagation p99 < 100 ms', `p50 ${f.propagationMs.p50} ms, p99 ${f.propagationMs.p99} ms, max ${f.propagationMs.max} ms over ${f.deploys.length} deploys (commit -> last node switched)`, f.propagationMs.p99 < 100);
    const failed = Object.values(f.load).reduce((n, l) => n + l.failed, 0);
    add(`0 failed requests on every fleet proxy across ${f.deploys.length} deploys under ${f.clients} clients each`, Object.entries(f.load).map(([name, l]) => `${name} ${l.failed} of ${l.sent}`).join(', '), failed === 0);
  }
  if (r.flips) add('RSS growth over 500 flips < 10 MB', `${fmt(r.flips.rssMb.growth, 1)} MB`, r.flips.rssMb.growth < 10);
  return bars;
}

/** @returns {string} the whole printed report */
export function formatReport(r) {
  const lines = [];
  const out = (s = '') => lines.push(s);
  const m = r.machine;
  out(`slotswap bench  ${r.startedAt}`);
  out(`machine: ${m.cpu}, ${m.cores} cores, ${m.memGb} GB, Linux ${m.kernel}, Node ${m.node}; load average at start ${m.loadAverage.join(' ')}`);
  out(`daemon: node ${[...(r.settings?.daemonNodeFlags ?? []), 'dist/cli/main.js start'].join(' ')} (as npm start runs it; the daemon sets --heap-growing-percent=50 itself unless given one)`);
  if (r.proxyCost) {
    const pc = r.proxyCost;
    out();
    out(`PROXY COST  same backend (the daemon's slot-a sample API instance); autocannon, medians of ${pc.rounds} interleaved rounds of ${pc.durationS} s`);
    if (pc.peers) for (const [name, label] of Object.entries(pc.peers)) out(`${name}: ${label}`);
    else out(pc.nginx ? `nginx: ${pc.nginx.version}, ${pc.nginx.workers} worker, upstream keep-alive pool = client count` : `nginx: ${pc.nginxMissing}`);
    for (const hint of Object.values(pc.missing ?? {})) out(`missing: ${hint}`);
    out(`${pad('clients', 7)}  ${'target'.padEnd(9)}${pad('req/s', 8)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('CPU µs/req', 12)}${pad('RSS MB', 8)}${pad('slotswap/it', 12)}`);
    for (const [clients, row] of Object.entries(pc.summary)) {
      for (const name of ['direct', 'nginx', 'haproxy', 'caddy', 'undici', 'slotswap']) {
        const t = row[name];
        if (!t) continue;
        const versus = name === 'slotswap' ? '' : fmt(row.slotswapTo?.[name]);
        out(`${pad(clients, 7)}  ${name.padEnd(9)}${pad(t.rps, 8)}${pad(fmt(t.p50Ms), 9)}${pad(fmt(t.p99Ms), 9)}${pad(t.cpuUsPerRequest === null ? '-' : fmt(t.cpuUsPerRequest, 1), 12)}${pad(t.rssMaxMb === null ? '-' : fmt(t.rssMaxMb, 0), 8)}${pad(versus, 12)}`);
      }
      const x = row.ratios;
      out(`${pad('', 7)}  slotswap/nginx ${x.slotswapToNginx === null ? '-' : fmt(x.slotswapToNginx)}  slotswap/direct ${fmt(x.slotswapToDirect)}  CPU slotswap/nginx ${x.cpuSlotswapToNginx === null ? '-' : `${fmt(x.cpuSlotswapToNginx, 1)}x`}  added over direct: slotswap p50 +${fmt(x.p50AddedMs)} p99 +${fmt(x.p99AddedMs)} ms${x.nginxP50AddedMs === null ? '' : `, nginx p50 +${fmt(x.nginxP50AddedMs)} p99 +${fmt(x.nginxP99AddedMs)} ms`}`);
    }
  }
  if (r.bodies) {
    const b = r.bodies;
    out();
    out(`BODIES  POST /echo under ${b.clients} clients, medians of ${b.rounds} interleaved rounds of ${b.durationS} s; MiB/s of request body carried`);
    out(`  ${'size'.padEnd(9)}${'target'.padEnd(10)}${pad('req/s', 8)}${pad('MiB/s', 8)}${pad('p99 ms', 9)}${pad('CPU µs/req', 12)}${pad('failed', 8)}`);
    for (const [size, row] of Object.entries(b.summary)) {
      for (const [name, t] of Object.entries(row)) out(`  ${`${Number(size) / 1024} KiB`.padEnd(9)}${name.padEnd(10)}${pad(t.rps, 8)}${pad(fmt(t.mibPerS, 1), 8)}${pad(fmt(t.p99Ms), 9)}${pad(t.cpuUsPerRequest === null ? '-' : fmt(t.cpuUsPerRequest, 0), 12)}${pad(t.failed, 8)}`);
      if (row.nginx) out(`  ${''.padEnd(9)}slotswap/nginx ${fmt(row.slotswap.mibPerS / row.nginx.mibPerS)}`);
    }
  }
  if (r.connections) {
    const c = r.connections;
    out();
    out(`CONNECTIONS  GET / with N keep-alive clients (load in its own process, descriptor limit raised), medians of ${c.rounds} rounds of ${c.durationS} s on connections kept from the warm-up; new upstream connections counted by the instance; answered: the fewest connections of a round that got any answer`);
    out(`  ${pad('clients', 7)}  ${'target'.padEnd(9)}${pad('req/s', 8)}${pad('p99 ms', 9)}${pad('answered', 10)}${pad('RSS MB', 8)}${pad('CPU µs/req', 12)}${pad('new upstream/req', 18)}${pad('failed', 8)}`);
    for (const [clients, row] of Object.entries(c.summary)) {
      for (const [name, t] of Object.entries(row)) out(`  ${pad(clients, 7)}  ${name.padEnd(9)}${pad(t.rps, 8)}${pad(fmt(t.p99Ms), 9)}${pad(t.connectionsAnswered ?? '', 10)}${pad(fmt(t.rssMaxMb, 0), 8)}${pad(fmt(t.cpuUsPerRequest, 1), 12)}${pad(fmt(t.newUpstreamPerRequest, 4), 18)}${pad(t.failed, 8)}`);
      if (row.nginx) out(`  ${pad('', 7)}  slotswap/nginx ${fmt(row.slotswap.rps / row.nginx.rps)}`);
    }
  }
  if (r.flips || r.deploys) {
    out();
    out('FLIP AND DEPLOY');
    if (r.flips) out(`  switch (health passed -> new live slot): p50 ${fmt(r.flips.switchMs.p50, 3)} ms, p99 ${fmt(r.flips.switchMs.p99, 3)} ms, max ${fmt(r.flips.switchMs.max, 3)} ms over ${r.flips.flips} flips; POST /api/flip p50 ${r.flips.flipApiMs.p50} ms`);
    if (r.deploys) {
      const d = r.deploys.deploys;
      const col = (k) => `median ${median(d.map((x) => x[k]))} ms, max ${Math.max(...d.map((x) => x[k]))} ms`;
      const q = r.deploys.quiet;
      if (q.length) out(`  whole deploy with no traffic, command -> flipped: median ${median(q.map((x) => x.toFlippedMs))} ms (daemon side place..flip ${median(q.map((x) => x.serverMs))} ms) over ${q.length}`);
      out(`  whole deploy under ${r.deploys.clients} clients, command -> flipped: ${col('toFlippedMs')}  (daemon side place..flip: ${col('serverMs')})`);
      out(`  with --wait-drain (old slot drained and stopped): ${col('withDrainMs')}`);
      const steps = Object.keys(d[0].stepsMs).map((s) => `${s} ${fmt(median(d.map((x) => x.stepsMs[s])), 1)}`).join(', ');
      out(`  daemon steps under load (median ms): ${steps}`);
    }
  }
  if (r.deploys) {
    const l = r.deploys.load;
    out();
    out(`ZERO DOWNTIME  ${r.deploys.deploys.length} deploys under ${r.deploys.clients} closed-loop keep-alive clients: ${l.sent} requests, ${l.ok} ok, ${l.failed} failed${l.failed ? ` ${JSON.stringify(l.errors)}` : ''}; versions answered: ${Object.keys(l.versions).length}`);
  }
  if (r.hotswap) {
    out();
    out(`HOTSWAP  under ${r.hotswap.clients} closed-loop clients; start-up alone: the build by itself, spawn -> first 200 on /health, median of 3`);
    out(`  ${'start-up delay'.padEnd(15)}${pad('alone ms', 9)}${pad('in swap ms', 11)}${pad('held ms', 9)}${pad('held - in swap', 16)}${pad('held - alone', 14)}${pad('queued', 8)}${pad('lost', 6)}`);
    for (const s of r.hotswap.swaps) {
      out(`  ${`${s.buildStartupDelayMs} ms`.padEnd(15)}${pad(s.standaloneStartupMs, 9)}${pad(s.daemonStartupMs, 11)}${pad(s.heldMs, 9)}${pad(s.overSwapStartupMs, 16)}${pad(s.overStartupMs, 14)}${pad(s.queued, 8)}${pad(s.failedDuring, 6)}`);
    }
    const steps = Object.keys(r.hotswap.swaps[0]?.stepsMs ?? {});
    if (steps.length) out(`  hold steps (median ms): ${steps.map((st) => `${st} ${fmt(median(r.hotswap.swaps.map((s) => s.stepsMs[st])), 1)}`).join(', ')}`);
    const l = r.hotswap.load;
    out(`  ${l.sent} requests, ${l.ok} ok, ${l.failed} lost${l.failed ? ` ${JSON.stringify(l.errors)}` : ''}`);
  }
  if (r.flood) {
    const f = r.flood;
    const row = (name, m) => `  ${name.padEnd(26)}${pad(m.requests, 9)}${pad(fmt(m.p50Ms), 9)}${pad(fmt(m.p99Ms), 9)}${pad(fmt(m.maxMs), 9)}${pad(m.failed, 7)}`;
    out();
    out(`ADMIN FLOOD  proxy under ${f.clients} closed-loop keep-alive clients, ${f.seconds} s each; flood: ${f.flood.concurrency} clients, anonymous POSTs with ${f.flood.pathBytes}-byte paths`);
    out(`  ${''.padEnd(26)}${pad('requests', 9)}${pad('p50 ms', 9)}${pad('p99 ms', 9)}${pad('max ms', 9)}${pad('failed', 7)}`);
    out(row('proxy alone', f.baseline));
    out(row('proxy, admin flooded', f.flooded));
    out(`  difference: p50 ${f.addedMs.p50 >= 0 ? '+' : ''}${fmt(f.addedMs.p50)} ms, p99 ${f.addedMs.p99 >= 0 ? '+' : ''}${fmt(f.addedMs.p99)} ms; flood: ${f.flood.sent} POSTs answered ${JSON.stringify(f.flood.statuses)}; state file ${f.stateFileBytes.before} -> ${f.stateFileBytes.after} bytes`);
  }
  if (r.fleet && !r.fleet.skipped) {
    const f = r.fleet;
    const names = Object.keys(f.load);
    out();
    out(`FLEET  ${f.etcd}, 3 members; ${f.nodes} nodes, ${f.clients} closed-loop keep-alive clients on each proxy; deploys through ${names[0]}; propagation: commit returned -> last node's proxy switched`);
    out(`  ${'version'.padEnd(9)}${pad('propagation', 12)}${names.map((n) => pad(`${n} ms`, 11)).join('')}${pad('all serve after exit ms', 25)}`);
    for (const d of f.deploys) out(`  ${d.version.padEnd(9)}${pad(d.propagationMs, 12)}${names.map((n) => pad(d.perNode[n]?.lagMs, 11)).join('')}${pad(d.servedAfterExitMs, 25)}`);
    out(`  propagation p50 ${f.propagationMs.p50} ms, p99 ${f.propagationMs.p99} ms, max ${f.propagationMs.max} ms; each node's own lag p50 ${f.nodeLagMs.p50} ms, p99 ${f.nodeLagMs.p99} ms, max ${f.nodeLagMs.max} ms`);
    out(`  a node's fleet-flip (median ms): history entry begun ${f.runnerStartMedianMs} after the commit, ${f.outsideStepsMedianMs} outside its steps before the switch (the runner's writes); steps ${Object.entries(f.flipStepsMedianMs).map(([k, v]) => `${k} ${fmt(v, 1)}`).join(', ')}`);
    for (const [name, l] of Object.entries(f.load)) out(`  ${name}: ${l.sent} requests, ${l.ok} ok, ${l.failed} failed${l.failed ? ` ${JSON.stringify(l.errors)}` : ''}`);
  }
  if (r.memory || r.flips) {
    out();
    out('MEMORY (daemon RSS)');
    if (r.memory?.idleMb) out(`  idle, after start-up: ${fmt(r.memory.idleMb, 1)} MB`);
    if (r.memory?.rssUnderLoadMb) out(`  under load (max while slotswap was measured): ${fmt(r.memory.rssUnderLoadMb, 1)} MB`);
    if (r.flips) {
      const m = r.flips.rssMb;
      out(`  flips, after a forced full GC: ${fmt(m.start, 1)} MB before, ${fmt(m.afterWarmup, 1)} MB after ${r.flips.warmup} flips, ${fmt(m.after, 1)} MB after ${r.flips.flips}: growth ${fmt(m.growth, 1)} MB over ${r.flips.flips - r.flips.warmup} flips`);
      out(`  same points without the GC: ${fmt(m.withoutGc.afterWarmup, 1)} -> ${fmt(m.withoutGc.after, 1)} MB (${fmt(m.withoutGc.growth, 1)} MB); JS heap in use after the GC: ${fmt(m.jsHeapAfterGc.afterWarmup, 1)} -> ${fmt(m.jsHeapAfterGc.after, 1)} MB (${fmt(m.jsHeapAfterGc.growth, 2)} MB)`);
      out(`  ${r.flips.load.failed} of ${r.flips.load.sent} requests failed during the flips`);
    }
  }
  out();
  out('DESIGN PART 3 BARS');
  for (const b of r.bars) out(`  ${b.ok === null ? 'n/a ' : b.ok ? 'PASS' : 'FAIL'}  ${b.name}: ${b.figure}`);
  out();
  out(`wall time ${fmt(r.wallSeconds, 1)} s; results in ${r.resultsFile}`);
  return lines.join('\n');
}
