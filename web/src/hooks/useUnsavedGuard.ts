import { useEffect } from 'preact/hooks';

/**
 * While a form holds unsaved changes, leaving the page (reload, close, another address) asks first through the
 * browser's own "Leave site?" question (beforeunload); in-page switches ask "Discard the unsaved changes?" themselves.
 */
export function useUnsavedGuard(dirty: boolean): void {
  useEffect(() => {
    if (!dirty) return;
    const ask = (event: BeforeUnloadEvent) => {
      event.preventDefault();
      // Older browsers need returnValue set to show the question.
      event.returnValue = '';
    };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [dirty]);
}
