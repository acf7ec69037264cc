/**
 * After blockwise fusion, a chain of element-wise layers is one task per chunk whose calls
 * are nested (`array.unary(sqrt, array.binary(add, array.binary(mul, x, x), …))`). This rule
 * turns such a nest into a single `array.expr` call: one program, one generated loop, no
 * temporary chunks (kernels/array-expr.ts). A lone operation stays as it is: its own kernel
 * already is one loop.
 */
import type { BlockTemplate } from "../../graph/hlg.js";
import { registerTemplateRewriter, type CallTemplate } from "../../graph/rewrite.js";
import { builtin, lit } from "../../graph/task.js";
import type { ExprNode } from "../../kernels/array-expr.js";
import type { DType } from "./dtype.js";
import type { BinaryOp, UnaryOp } from "../../kernels/array-elementwise.js";

const EXPR = "array.expr";
const ELEMENTWISE = new Set(["array.binary", "array.unary", "array.astype", "array.where", EXPR]);

const isElementwise = (t: BlockTemplate): t is CallTemplate => t.t === "call" && t.fn.kind === "builtin" && ELEMENTWISE.has(t.fn.name);
const literal = (t: BlockTemplate): unknown => (t as { value: unknown }).value;

/** Builds one program, collecting its leaves (operands) once each. */
class ProgramBuilder {
  readonly operands: BlockTemplate[] = [];
  private readonly seen = new Map<string, number>();

  /** The same chunk read twice (`x.mul(x)`) is one operand, read once per element. */
  private leaf(t: BlockTemplate): ExprNode {
    const id = t.t === "block" ? `b ${t.name} ${JSON.stringify(t.axes ?? null)}` : t.t === "ref" ? `r ${t.key}` : null;
    if (id !== null) {
      const known = this.seen.get(id);
      if (known !== undefined) return { in: known };
      this.seen.set(id, this.operands.length);
    }
    this.operands.push(t);
    return { in: this.operands.length - 1 };
  }

  node(t: BlockTemplate): ExprNode {
    if (t.t === "lit" && (typeof t.value === "number" || typeof t.value === "boolean")) return { k: t.value };
    if (!isElementwise(t)) return this.leaf(t);
    const a = t.args;
    switch (t.fn.kind === "builtin" ? t.fn.name : "") {
      case "array.binary":
        return { binary: literal(a[0]!) as BinaryOp, x: this.node(a[1]!), y: this.node(a[2]!), out: literal(a[3]!) as DType, compute: literal(a[4]!) as DType };
      case "array.unary":
        return { unary: literal(a[0]!) as UnaryOp, x: this.node(a[1]!), out: literal(a[2]!) as DType };
      case "array.astype":
        return { astype: literal(a[1]!) as DType, x: this.node(a[0]!) };
      case "array.where":
        return { where: this.node(a[0]!), x: this.node(a[1]!), y: this.node(a[2]!), out: literal(a[3]!) as DType };
      default:
        // An array.expr made by an inner rewrite: its program with our operand numbering.
        return this.inline(literal(a[0]!) as ExprNode, a.slice(1));
    }
  }

  private inline(program: ExprNode, operands: BlockTemplate[]): ExprNode {
    if ("in" in program) return this.node(operands[program.in]!);
    if ("k" in program) return program;
    if ("unary" in program) return { ...program, x: this.inline(program.x, operands) };
    if ("astype" in program) return { ...program, x: this.inline(program.x, operands) };
    if ("binary" in program) return { ...program, x: this.inline(program.x, operands), y: this.inline(program.y, operands) };
    return { ...program, where: this.inline(program.where, operands), x: this.inline(program.x, operands), y: this.inline(program.y, operands) };
  }
}

function fuseElementwise(node: CallTemplate): BlockTemplate | undefined {
  // Only a nest is worth a program: some argument must itself be element-wise.
  if (!node.args.some(isElementwise)) return undefined;
  const builder = new ProgramBuilder();
  const program = builder.node(node);
  return { t: "call", fn: builtin(EXPR), args: [lit(program), ...builder.operands] };
}

for (const name of ELEMENTWISE) registerTemplateRewriter(name, fuseElementwise);
