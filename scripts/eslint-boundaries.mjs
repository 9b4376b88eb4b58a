// A local ESLint rule for import boundaries inside the repository (VS Code's
// code-no-deep-import-of-internal is the model): `boundaries/no-deep-import` reports an import of a
// module under a guarded folder unless that module is one of the folder's allowed entry points.
// Unlike `no-restricted-imports` it also sees dynamic `import('…')` and `typeof import('…')`, which
// host/ uses to load the runtime lazily. Paths are resolved from the importing file, so
// `../runtime/x.js` and `../../runtime/x.js` mean the same module.
import { dirname, relative, resolve, sep } from 'node:path';

const root = dirname(dirname(new URL(import.meta.url).pathname));

/** The repository-relative path (with `/`) of a relative import specifier, or null for packages. */
function target(filename, specifier) {
  if (typeof specifier !== 'string' || !specifier.startsWith('.')) return null;
  return relative(root, resolve(dirname(filename), specifier))
    .split(sep)
    .join('/');
}

const noDeepImport = {
  meta: {
    type: 'problem',
    docs: { description: 'Import a guarded folder only through the entry modules it allows.' },
    schema: [
      {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            /** Repository-relative folder, e.g. `runtime`. */
            folder: { type: 'string' },
            /** Modules of that folder that may be imported (paths inside it, as imported: `index.js`). */
            allow: { type: 'array', items: { type: 'string' } },
            message: { type: 'string' },
          },
          required: ['folder', 'allow'],
          additionalProperties: false,
        },
      },
    ],
    messages: { deep: '{{module}} is not an entry module of {{folder}}/ ({{allowed}}). {{message}}' },
  },
  create(context) {
    const guards = context.options[0] ?? [];
    const check = (node, specifier) => {
      const path = target(context.filename, specifier);
      if (path === null) return;
      for (const guard of guards) {
        if (!path.startsWith(`${guard.folder}/`)) continue;
        const inside = path.slice(guard.folder.length + 1);
        if (guard.allow.includes(inside)) return;
        context.report({
          node,
          messageId: 'deep',
          data: {
            module: path,
            folder: guard.folder,
            allowed: guard.allow.length ? `allowed: ${guard.allow.join(', ')}` : 'none may be imported',
            message: guard.message ?? '',
          },
        });
        return;
      }
    };
    const fromSource = (node) => node.source && check(node.source, node.source.value);
    return {
      ImportDeclaration: fromSource,
      ExportNamedDeclaration: fromSource,
      ExportAllDeclaration: fromSource,
      ImportExpression: (node) => node.source.type === 'Literal' && check(node.source, node.source.value),
      TSImportType: (node) => {
        const source = node.source ?? node.argument?.literal;
        if (source) check(source, source.value);
      },
    };
  },
};

export const boundaries = { rules: { 'no-deep-import': noDeepImport } };
