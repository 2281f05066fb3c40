// Node module-resolution hook: `electron` (and `electron/main`) resolve to the stand-in; nothing else changes.
const standin = new URL('./electron.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'electron' || specifier === 'electron/main') return { url: standin, shortCircuit: true };
  return nextResolve(specifier, context);
}
