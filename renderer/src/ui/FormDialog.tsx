import * as Dialog from '@radix-ui/react-dialog';
import type { FormEvent, ReactNode } from 'react';

/** A form-wide error in plain words, announced as it appears (nothing when there is none). */
export function FormError({ error, className = 'error' }: { error: string | null | undefined; className?: string }) {
  return error ? (
    <p role="alert" className={className}>
      {error}
    </p>
  ) : null;
}

/**
 * The one modal form of the console: title (the dialog's accessible name), optional description,
 * the form error, the fields, then Cancel and the submit button. Escape, the overlay and Cancel close it.
 */
export function FormDialog({
  title,
  description,
  narrow = false,
  error,
  errorClassName,
  submitLabel,
  submitDisabled,
  cancelLabel = 'Cancel',
  onSubmit,
  onClose,
  children,
}: {
  title: ReactNode;
  /** Read with the title; without one the dialog has no aria-describedby. */
  description?: ReactNode;
  narrow?: boolean;
  error?: string | null;
  errorClassName?: string;
  submitLabel: string;
  submitDisabled?: boolean;
  cancelLabel?: string;
  onSubmit: (event: FormEvent) => void;
  onClose: () => void;
  children: ReactNode;
}) {
  return (
    <Dialog.Root open onOpenChange={(open) => !open && onClose()}>
      <Dialog.Portal>
        <Dialog.Overlay className="overlay" />
        <Dialog.Content className={narrow ? 'dialog narrow' : 'dialog'} {...(description === undefined ? { 'aria-describedby': undefined } : {})}>
          <Dialog.Title>{title}</Dialog.Title>
          {description !== undefined ? <Dialog.Description>{description}</Dialog.Description> : null}
          <form onSubmit={onSubmit} noValidate>
            <FormError error={error} {...(errorClassName ? { className: errorClassName } : {})} />
            {children}
            <div className="dialog-actions">
              <Dialog.Close type="button" className="button">
                {cancelLabel}
              </Dialog.Close>
              <button type="submit" className="button primary" disabled={submitDisabled}>
                {submitLabel}
              </button>
            </div>
          </form>
        </Dialog.Content>
      </Dialog.Portal>
    </Dialog.Root>
  );
}
