/**
 * What a cell that failed part-way leaves declared, as in Python: the names it assigned
 * before the error keep their new values, the others keep what they had.
 *
 * tslab type-checks each cell against the declarations of the cells before it (its
 * `prevDecl`, a .d.ts text) and only takes the new cell's declarations when the cell
 * succeeds; values live on in its `exports` object either way. So after a failure the
 * kernel works out the declarations that match the values: from the declarations the cell
 * would have left (`attempted`), those of names the cell assigned; for names it declares
 * but never reached, the declarations they had before (`previous`), if any.
 */
import type * as TypeScript from "@tslab/typescript-for-tslab";

import { tslabTypeScript } from "./tslab.js";

export interface FailedCell {
  /** The cell's TypeScript. */
  source: string;
  /** The declarations before the cell ran. */
  previous: string;
  /** The declarations the cell would have left had it succeeded (tslab's `declOutput`). */
  attempted: string;
  /** Whether the cell assigned `name` before it failed. */
  assigned(name: string): boolean;
}

/** The top-level names a statement declares; `types` are those with no value at run time. */
function declaredNames(ts: typeof TypeScript, statement: TypeScript.Statement): { values: string[]; types: string[] } {
  const values: string[] = [];
  const bindingNames = (name: TypeScript.BindingName): void => {
    if (ts.isIdentifier(name)) values.push(name.text);
    else for (const element of name.elements) if (!ts.isOmittedExpression(element)) bindingNames(element.name);
  };
  if (ts.isVariableStatement(statement)) {
    for (const declaration of statement.declarationList.declarations) bindingNames(declaration.name);
  } else if (ts.isFunctionDeclaration(statement) || ts.isClassDeclaration(statement) || ts.isEnumDeclaration(statement)) {
    if (statement.name) values.push(statement.name.text);
  } else if (ts.isModuleDeclaration(statement) && ts.isIdentifier(statement.name)) {
    values.push(statement.name.text);
  } else if (ts.isImportEqualsDeclaration(statement)) {
    values.push(statement.name.text);
  } else if (ts.isImportDeclaration(statement) && statement.importClause) {
    const clause = statement.importClause;
    if (clause.name) values.push(clause.name.text);
    const bindings = clause.namedBindings;
    if (bindings && ts.isNamespaceImport(bindings)) values.push(bindings.name.text);
    else if (bindings) for (const element of bindings.elements) values.push(element.name.text);
  } else if (ts.isInterfaceDeclaration(statement) || ts.isTypeAliasDeclaration(statement)) {
    return { values: [], types: [statement.name.text] };
  }
  return { values, types: [] };
}

function parse(ts: typeof TypeScript, text: string, declarations: boolean): TypeScript.SourceFile {
  return ts.createSourceFile(declarations ? "decls.d.ts" : "cell.ts", text, ts.ScriptTarget.Latest, true);
}

/** The text of `statement`, keeping only the variables in `keep` if it declares variables. */
function statementText(ts: typeof TypeScript, file: TypeScript.SourceFile, statement: TypeScript.Statement, keep: (name: string) => boolean): string | undefined {
  if (!ts.isVariableStatement(statement)) {
    return declaredNames(ts, statement).values.some(keep) ? statement.getText(file) : undefined;
  }
  const kept = statement.declarationList.declarations.filter((d) => ts.isIdentifier(d.name) && keep(d.name.text));
  if (kept.length === 0) return undefined;
  if (kept.length === statement.declarationList.declarations.length) return statement.getText(file);
  const flags = statement.declarationList.flags;
  const keyword = flags & ts.NodeFlags.Const ? "const" : flags & ts.NodeFlags.Let ? "let" : "var";
  const declare = statement.modifiers?.some((m) => m.kind === ts.SyntaxKind.DeclareKeyword) ? "declare " : "";
  return `${declare}${keyword} ${kept.map((d) => d.getText(file)).join(", ")};`;
}

/** The declarations (a .d.ts text) to continue with after `cell` failed. */
export function declarationsAfterFailure(cell: FailedCell): string {
  const ts = tslabTypeScript();
  const declaredByCell = new Set<string>();
  for (const statement of parse(ts, cell.source, false).statements) {
    for (const name of declaredNames(ts, statement).values) declaredByCell.add(name);
  }
  const reached = (name: string): boolean => !declaredByCell.has(name) || cell.assigned(name);

  const kept: string[] = [];
  const attempted = parse(ts, cell.attempted, true);
  for (const statement of attempted.statements) {
    if (declaredNames(ts, statement).types.length > 0) kept.push(statement.getText(attempted));
    else {
      const text = statementText(ts, attempted, statement, reached);
      if (text !== undefined) kept.push(text);
    }
  }
  // Names the cell declares but did not reach keep their earlier values, so their earlier
  // declarations.
  const previous = parse(ts, cell.previous, true);
  for (const statement of previous.statements) {
    const text = statementText(ts, previous, statement, (name) => declaredByCell.has(name) && !cell.assigned(name));
    if (text !== undefined) kept.push(text);
  }
  return kept.map((text) => `${text}\n`).join("");
}
