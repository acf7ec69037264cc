/**
 * Rewrites of blockwise templates, applied after blockwise fusion and before any task exists.
 *
 * Fusion nests one layer's call inside the next (`sqrt(add(mul(x, x), mul(y, y)))`); a
 * collection may know a better form for such a nest, as Dask's collections bring their own
 * optimizations. The graph layer only knows that a rule is registered for a kernel name: the
 * array module, for example, turns a nest of element-wise calls into one generated loop.
 * Rewriting a template costs once per layer, however many blocks the layer has.
 */
import { BlockwiseLayer, HighLevelGraph, type BlockTemplate, type Layer } from "./hlg.js";

export type CallTemplate = Extract<BlockTemplate, { t: "call" }>;

/** Returns the template to use instead of `node` (whose arguments are already rewritten), or undefined to keep it. */
export type TemplateRewriter = (node: CallTemplate) => BlockTemplate | undefined;

const rules = new Map<string, TemplateRewriter>();

/** Register the rule for calls of the built-in kernel `name` (one rule per name). */
export function registerTemplateRewriter(name: string, rule: TemplateRewriter): void {
  rules.set(name, rule);
}

/** `template` with every registered rule applied, innermost calls first. */
export function rewriteTemplate(template: BlockTemplate): BlockTemplate {
  switch (template.t) {
    case "list": {
      const items = template.items.map(rewriteTemplate);
      return items.every((n, i) => n === template.items[i]) ? template : { t: "list", items };
    }
    case "dict": {
      const values = template.values.map(rewriteTemplate);
      return values.every((n, i) => n === template.values[i]) ? template : { t: "dict", keys: template.keys, values };
    }
    case "call": {
      const args = template.args.map(rewriteTemplate);
      const node: CallTemplate = args.every((n, i) => n === template.args[i]) ? template : { t: "call", fn: template.fn, args };
      const rule = node.fn.kind === "builtin" ? rules.get(node.fn.name) : undefined;
      return rule?.(node) ?? node;
    }
    default:
      return template;
  }
}

/** The graph with every blockwise layer's template rewritten; the same graph when no rule applied. */
export function rewriteBlockwiseTemplates(hlg: HighLevelGraph): HighLevelGraph {
  if (rules.size === 0) return hlg;
  let layers: Map<string, Layer> | null = null;
  for (const [name, layer] of hlg.layers) {
    if (!(layer instanceof BlockwiseLayer)) continue;
    const template = rewriteTemplate(layer.template);
    if (template === layer.template) continue;
    layers ??= new Map(hlg.layers);
    layers.set(name, new BlockwiseLayer(layer.name, layer.shape, template, layer.blocks));
  }
  return layers ? new HighLevelGraph(layers, hlg.dependencies) : hlg;
}
