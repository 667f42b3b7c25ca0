import type { DiffOutput, InspectOutput } from '../report/report-model.js';
import type { RunSummary } from '../run/run-model.js';
import type { RunSummaryPlace } from './run-summary.js';
import type { TextStyle } from './style.js';

/**
 * Every renderer of every product, in one table: the CLI asks it for (product, format) and nothing
 * else chooses a renderer. Each is loaded when it is used (the CSV one brings csv-stringify).
 */
export type RenderFormat = 'text' | 'json' | 'csv' | 'markdown';

/** What each product renders from, and what else its renderers are told. */
interface Products {
  inspect: { out: InspectOutput; place: undefined };
  diff: { out: DiffOutput; place: undefined };
  run: { out: RunSummary; place: RunSummaryPlace };
}
export type Product = keyof Products;

export type Renderer<P extends Product> = (
  out: Products[P]['out'],
  style: TextStyle,
  place: Products[P]['place'],
) => string;

type Table = { [P in Product]: Partial<Record<RenderFormat, () => Promise<Renderer<P>>>> };

const RENDERERS: Table = {
  inspect: {
    text: async () => (await import('./text.js')).renderInspectText,
    json: async () => (await import('./json.js')).renderJson,
    csv: async () => (await import('./csv.js')).renderInspectCsv,
    markdown: async () => (await import('./markdown.js')).renderInspectMarkdown,
  },
  diff: {
    text: async () => (await import('./text.js')).renderDiffText,
    json: async () => (await import('./json.js')).renderJson,
    csv: async () => (await import('./csv.js')).renderDiffCsv,
    markdown: async () => (await import('./markdown.js')).renderDiffMarkdown,
  },
  run: {
    text: async () => (await import('./run-summary.js')).renderRunText,
    json: async () => (await import('./run-summary.js')).renderRunJson,
  },
};

/** The formats a product has, in the table's order. */
export function formatsOf(product: Product): RenderFormat[] {
  return Object.keys(RENDERERS[product]) as RenderFormat[];
}

/** The renderer of a product in a format; a format the product does not have is a bug of the caller. */
export async function rendererFor<P extends Product>(product: P, format: RenderFormat): Promise<Renderer<P>> {
  const load = (RENDERERS[product] as Partial<Record<RenderFormat, () => Promise<Renderer<P>>>>)[format];
  if (!load) throw new Error(`no ${format} renderer for ${product}`);
  return load();
}
