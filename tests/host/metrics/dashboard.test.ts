// docs/grafana-xpuscope.json (the Grafana dashboard in the README's "Monitoring a fleet") is importable
// JSON whose every query names only metrics and labels the exporter really serves: a renamed metric
// breaks this test, not a fleet's dashboard.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MetricsExporter } from '../../../host/metrics.js';
import { ROOT } from '../helpers.js';

interface Panel {
  title: string;
  targets?: { expr: string }[];
}

describe('the Grafana dashboard', () => {
  it('is a dashboard whose queries use only the exporter’s metrics and labels', async () => {
    const dash = JSON.parse(readFileSync(join(ROOT, 'docs', 'grafana-xpuscope.json'), 'utf8')) as {
      panels: Panel[];
      templating: { list: { query: { query: string } }[] };
      __inputs: { type: string }[];
    };
    expect(dash.__inputs[0]!.type).toBe('datasource');
    const exporter = new MetricsExporter({
      runtime: () => Promise.reject(new Error('none')),
      captureRates: () => ({ recording: false }),
      lastDiagnostics: () => undefined,
    });
    const known = new Map<string, Set<string>>();
    for (const m of await exporter.registry.getMetricsAsJSON()) {
      const metric = exporter.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] };
      // Prometheus adds instance and job to every scraped series
      known.set(m.name, new Set([...metric.labelNames, 'instance', 'job']));
    }
    const exprs = [
      ...dash.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
      ...dash.templating.list.map((v) => v.query.query),
    ];
    expect(exprs.length).toBeGreaterThan(10);
    for (const expr of exprs) {
      const names = [...expr.matchAll(/\b(xpuscope_[a-z_]+)(\{([^}]*)\})?/g)];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const [, name, , sel] of names) {
        expect(known.has(name!), `${name} in "${expr}"`).toBe(true);
        for (const [, label] of (sel ?? '').matchAll(/([a-z_]+)\s*(=~|!=|=)/g))
          expect(known.get(name!)!.has(label!), `label ${label} of ${name}`).toBe(true);
      }
    }
  });
});
