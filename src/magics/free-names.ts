/**
 * Which names a piece of JavaScript takes from outside itself, read from its syntax tree (tslab's own
 * TypeScript parses it). Two questions:
 * - exportsReads: the converter writes a cell's references to earlier cells' declarations as `exports.NAME`;
 *   every such read (not an assignment target) is a kernel variable the cell needs.
 * - freeIdentifiers: the names a function's source uses without declaring them (its globals). It errs on
 *   the side of including: a name declared in any scope of the function counts as declared.
 */
import { createRequire } from 'node:module';
import type * as TS from '@tslab/typescript-for-tslab';

const require = createRequire(import.meta.url);
let typescript: typeof TS | null = null;
function ts(): typeof TS {
  typescript ??= createRequire(require.resolve('tslab/dist/converter.js'))('@tslab/typescript-for-tslab') as typeof TS;
  return typescript;
}

/**
 * Remembers answers by source text: a cell or function is often shipped again unchanged (p2p.map ships one
 * function per item; a re-run cell is the same text), and parsing it costs a few tenths of a millisecond.
 */
function memo<T>(compute: (source: string) => T, limit = 256): (source: string) => T {
  const cache = new Map<string, T>();
  return (source) => {
    const hit = cache.get(source);
    if (hit !== undefined) return hit;
    const value = compute(source);
    if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
    cache.set(source, value);
    return value;
  };
}

function parse(js: string): TS.SourceFile {
  const t = ts();
  return t.createSourceFile('code.js', js, t.ScriptTarget.Latest, true, t.ScriptKind.JS);
}

function isAssignmentTarget(node: TS.Node): boolean {
  const t = ts();
  const parent = node.parent;
  return !!parent && t.isBinaryExpression(parent) && parent.left === node && parent.operatorToken.kind === t.SyntaxKind.EqualsToken;
}

function isExportsAccess(node: TS.Node): node is TS.PropertyAccessExpression {
  const t = ts();
  return t.isPropertyAccessExpression(node) && t.isIdentifier(node.expression) && node.expression.text === 'exports' && t.isIdentifier(node.name);
}

/** Names read as `exports.NAME` (written ones, `exports.NAME = ...`, are the code's own declarations). */
export const exportsReads = memo((js: string): string[] => {
  const names = new Set<string>();
  const visit = (node: TS.Node): void => {
    if (isExportsAccess(node) && !isAssignmentTarget(node)) names.add(node.name.text);
    ts().forEachChild(node, visit);
  };
  visit(parse(js));
  return [...names];
});

/** Whether an identifier node is a reference to a variable (not a property name, key, label or declaration). */
function isReference(id: TS.Identifier): boolean {
  const t = ts();
  const p = id.parent;
  if (!p) return true;
  if (t.isPropertyAccessExpression(p) && p.name === id) return false;
  if ((t.isPropertyAssignment(p) || t.isMethodDeclaration(p) || t.isPropertyDeclaration(p) || t.isGetAccessor(p) || t.isSetAccessor(p)) && p.name === id) return false;
  if ((t.isLabeledStatement(p) || t.isBreakStatement(p) || t.isContinueStatement(p)) && p.label === id) return false;
  if ((t.isVariableDeclaration(p) || t.isParameter(p) || t.isBindingElement(p) || t.isFunctionDeclaration(p) || t.isFunctionExpression(p) || t.isClassDeclaration(p) || t.isClassExpression(p)) && p.name === id) return false;
  if (t.isBindingElement(p) && p.propertyName === id) return false;
  if (t.isImportSpecifier(p) || t.isExportSpecifier(p)) return false;
  if (t.isMetaProperty(p)) return false;
  return true;
}

/** Names bound anywhere inside: parameters, variables, functions, classes, catch clauses. */
function declaredNames(root: TS.Node): Set<string> {
  const t = ts();
  const names = new Set<string>();
  const bind = (name: TS.BindingName | undefined): void => {
    if (!name) return;
    if (t.isIdentifier(name)) names.add(name.text);
    else for (const element of name.elements) if (!t.isOmittedExpression(element)) bind(element.name);
  };
  const visit = (node: TS.Node): void => {
    if (t.isVariableDeclaration(node) || t.isParameter(node)) bind(node.name);
    else if ((t.isFunctionDeclaration(node) || t.isFunctionExpression(node) || t.isClassDeclaration(node) || t.isClassExpression(node)) && node.name) names.add(node.name.text);
    else if (t.isCatchClause(node) && node.variableDeclaration) bind(node.variableDeclaration.name);
    t.forEachChild(node, visit);
  };
  visit(root);
  return names;
}

/**
 * Free identifiers of a function (or class) given as source text, plus what it reads as `exports.NAME`.
 * `this`, `arguments` and the language's own keywords are not identifiers and never show up.
 */
export const freeIdentifiers = memo((source: string): string[] => {
  const t = ts();
  const file = parse(`(${source})`);
  const declared = declaredNames(file);
  const free = new Set<string>();
  const visit = (node: TS.Node): void => {
    if (isExportsAccess(node) && !isAssignmentTarget(node)) free.add(node.name.text);
    else if (t.isIdentifier(node) && isReference(node) && !declared.has(node.text) && node.text !== 'exports' && node.text !== 'arguments') free.add(node.text);
    else if (t.isShorthandPropertyAssignment(node) && !declared.has(node.name.text)) free.add(node.name.text);
    t.forEachChild(node, visit);
  };
  visit(file);
  return [...free];
});

/** Whether `source` parses as an expression on its own (a method's shorthand source does not). */
export const isStandaloneExpression = memo((source: string): boolean => {
  const file = parse(`(${source})`);
  return ((file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? []).length === 0;
});
