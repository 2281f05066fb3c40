import { createContext, useContext } from 'react';

export type View = 'devices' | 'deliveries' | 'receiver' | 'settings';

interface Navigation {
  go: (view: View) => void;
  showDeliveries: (webhookId: number) => void;
}

export const NavContext = createContext<Navigation>({ go: () => undefined, showDeliveries: () => undefined });

export function useNavigation(): Navigation {
  return useContext(NavContext);
}
