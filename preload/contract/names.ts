// How a channel is named on window.api: `webhooks:create` → `webhooksCreate`, the push `app:notice` →
// `onAppNotice`. No zod here: the sandboxed preload loads this and the channel names, nothing more.

export type MethodName<C extends string> = C extends `${infer D}:${infer A}` ? `${D}${Capitalize<A>}` : never;
export type ListenerName<C extends string> = C extends `${infer D}:${infer E}` ? `on${Capitalize<D>}${Capitalize<E>}` : never;

export function methodName(channel: string): string {
  const [domain = '', action = ''] = channel.split(':');
  return domain + action.charAt(0).toUpperCase() + action.slice(1);
}
export function listenerName(channel: string): string {
  const [domain = '', event = ''] = channel.split(':');
  return 'on' + domain.charAt(0).toUpperCase() + domain.slice(1) + event.charAt(0).toUpperCase() + event.slice(1);
}
