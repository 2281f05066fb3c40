// Small pieces every view uses the same way: an empty state, a table head, a form's submit row, an
// optional term in a description list, and a select's options.
import type { ReactNode } from 'react';

/** "No … yet." and a sentence on what to do about it. */
export function EmptyState({ title, children, className = '' }: { title: ReactNode; children: ReactNode; className?: string }) {
  return (
    <div className={className ? `${className} empty-state` : 'empty-state'}>
      <p>{title}</p>
      <p className="empty">{children}</p>
    </div>
  );
}

/** A table's column headers, then a last column named "Actions" for screen readers only. */
export function TableHead({ columns }: { columns: readonly string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th scope="col" key={column}>
            {column}
          </th>
        ))}
        <th scope="col">
          <span className="visually-hidden">Actions</span>
        </th>
      </tr>
    </thead>
  );
}

/** A form's primary submit button, in its row (with what follows it there, such as a status). */
export function SubmitRow({ label, disabled, children }: { label: string; disabled?: boolean; children?: ReactNode }) {
  return (
    <div className="form-actions">
      <button type="submit" className="button primary" disabled={disabled}>
        {label}
      </button>
      {children}
    </div>
  );
}

/** A term and its description, only when there is something to say. */
export function OptionalDetail({ term, value, className }: { term: string; value: ReactNode; className?: string }) {
  if (value === null || value === undefined || value === '' || value === false) return null;
  return (
    <>
      <dt>{term}</dt>
      <dd className={className}>{value}</dd>
    </>
  );
}

/** `<option>`s for items with an id and a name. */
export function Options({ items }: { items: readonly { id: string | number; name: string }[] }) {
  return (
    <>
      {items.map((item) => (
        <option key={item.id} value={item.id}>
          {item.name}
        </option>
      ))}
    </>
  );
}
