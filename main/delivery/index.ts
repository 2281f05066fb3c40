// The delivery layer's public surface, for the composition root.
export * from './types';
export * from './payload';
export * from './match';
export * from './signing';
export * from './outbox';
export * from './history';
export * from './http';
export * from './retry';
export * from './dispatcher';
export * from './receiver';
export * from './transport';
