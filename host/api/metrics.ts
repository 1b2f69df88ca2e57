// Request counters and latency histograms kept by the server, rendered with the controller's
// driver and pool figures in Prometheus' text exposition format (version 0.0.4).
import type { DriverView, PoolView } from './port.js';

const BUCKETS_MS = [0.5, 1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 5000];

interface Series {
  count: number;
  sumMs: number;
  buckets: number[];
}

export class ApiMetrics {
  readonly #calls = new Map<string, number>();
  readonly #latency = new Map<string, Series>();
  readonly #leftovers = new Map<string, number>([
    ['sandbox', 0],
    ['endpoint', 0],
  ]);

  /** One object the leftover sweep removed (a sandbox or an endpoint an engine left behind). */
  countLeftover(kind: string): void {
    this.#leftovers.set(kind, (this.#leftovers.get(kind) ?? 0) + 1);
  }

  /** Records one request: `route` is the pattern (`GET /v1/networks/:id`), never the raw path. */
  observe(route: string, status: number, ms: number): void {
    const key = `${route}\u0000${status}`;
    this.#calls.set(key, (this.#calls.get(key) ?? 0) + 1);
    let series = this.#latency.get(route);
    if (series === undefined) {
      series = { count: 0, sumMs: 0, buckets: BUCKETS_MS.map(() => 0) };
      this.#latency.set(route, series);
    }
    series.count += 1;
    series.sumMs += ms;
    BUCKETS_MS.forEach((bound, index) => {
      if (ms <= bound) series.buckets[index]! += 1;
    });
  }

  render(drivers: DriverView[], pools: PoolView[]): string {
    const lines: string[] = [];
    lines.push(
      '# HELP wasmnet_api_requests_total API requests by route and status.',
      '# TYPE wasmnet_api_requests_total counter',
    );
    for (const [key, count] of this.#calls) {
      const [route, status] = key.split('\u0000') as [string, string];
      lines.push(`wasmnet_api_requests_total{route=${label(route)},status="${status}"} ${count}`);
    }
    lines.push(
      '# HELP wasmnet_api_request_duration_seconds API request latency.',
      '# TYPE wasmnet_api_request_duration_seconds histogram',
    );
    for (const [route, series] of this.#latency) {
      BUCKETS_MS.forEach((bound, index) => {
        lines.push(
          `wasmnet_api_request_duration_seconds_bucket{route=${label(route)},le="${bound / 1000}"} ${series.buckets[index]}`,
        );
      });
      lines.push(`wasmnet_api_request_duration_seconds_bucket{route=${label(route)},le="+Inf"} ${series.count}`);
      lines.push(`wasmnet_api_request_duration_seconds_sum{route=${label(route)}} ${series.sumMs / 1000}`);
      lines.push(`wasmnet_api_request_duration_seconds_count{route=${label(route)}} ${series.count}`);
    }
    lines.push(
      '# HELP wasmnet_leftovers_removed_total Objects engines left behind that the leftover sweep removed.',
      '# TYPE wasmnet_leftovers_removed_total counter',
    );
    for (const [kind, count] of this.#leftovers)
      lines.push(`wasmnet_leftovers_removed_total{kind=${label(kind)}} ${count}`);
    lines.push(
      '# HELP wasmnet_driver_healthy 1 when the driver component is healthy.',
      '# TYPE wasmnet_driver_healthy gauge',
    );
    for (const d of drivers) lines.push(`wasmnet_driver_healthy{driver=${label(d.name)}} ${d.healthy ? 1 : 0}`);
    lines.push(
      '# HELP wasmnet_driver_restarts_total Driver instances re-created after a fault.',
      '# TYPE wasmnet_driver_restarts_total counter',
    );
    for (const d of drivers) lines.push(`wasmnet_driver_restarts_total{driver=${label(d.name)}} ${d.restarts}`);
    lines.push(
      '# HELP wasmnet_driver_log_lines_dropped_total Log lines of the driver its log limits dropped.',
      '# TYPE wasmnet_driver_log_lines_dropped_total counter',
    );
    for (const d of drivers)
      lines.push(`wasmnet_driver_log_lines_dropped_total{driver=${label(d.name)}} ${d.droppedLogLines}`);
    lines.push(
      '# HELP wasmnet_ipam_pool_allocated Addresses in use per pool.',
      '# TYPE wasmnet_ipam_pool_allocated gauge',
    );
    for (const p of pools)
      lines.push(`wasmnet_ipam_pool_allocated{network=${label(p.networkName)},pool=${label(p.pool)}} ${p.allocated}`);
    lines.push('# HELP wasmnet_ipam_pool_size Addresses per pool.', '# TYPE wasmnet_ipam_pool_size gauge');
    for (const p of pools)
      lines.push(`wasmnet_ipam_pool_size{network=${label(p.networkName)},pool=${label(p.pool)}} ${p.size}`);
    return `${lines.join('\n')}\n`;
  }
}

const label = (value: string): string => JSON.stringify(value);
