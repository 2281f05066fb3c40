import type { Notice } from '../../preload/contract';

export function Notices({ notices, onDismiss }: { notices: Notice[]; onDismiss: (id: string) => void }) {
  if (notices.length === 0) return null;
  return (
    <div className="notices" aria-live="polite">
      {notices.map((notice) => (
        <div key={notice.id} className={`notice notice-${notice.level}`} role={notice.level === 'error' ? 'alert' : 'status'}>
          <span>{notice.message}</span>
          <button type="button" className="button ghost small" onClick={() => onDismiss(notice.id)} aria-label="Dismiss notice">
            Dismiss
          </button>
        </div>
      ))}
    </div>
  );
}
