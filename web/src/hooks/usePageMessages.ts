import type { RefObject } from 'preact';
import { useCallback, useRef, useState } from 'preact/hooks';

export interface PageNotice {
  kind: 'ok' | 'error';
  text: string;
}

export interface PageMessages {
  /** The message at the top of the page (a restore not staged, a cancelled restore), until dismissed. */
  notice: PageNotice | null;
  /** Where `notice` is shown: it takes the focus when a notice appears. */
  noticeRef: RefObject<HTMLDivElement | null>;
  showNotice: (kind: PageNotice['kind'], text: string) => void;
  dismissNotice: () => void;
  /** The text of the page's polite live region: what screen readers hear about changes they did not ask for. */
  announcement: string;
  announce: (text: string) => void;
}

/** The page-wide messages: the notice at the top, and the announcements for screen readers. */
export function usePageMessages(): PageMessages {
  const [notice, setNotice] = useState<PageNotice | null>(null);
  const [announcement, setAnnouncement] = useState('');
  const noticeRef = useRef<HTMLDivElement>(null);

  const showNotice = useCallback((kind: PageNotice['kind'], text: string): void => {
    setNotice({ kind, text });
    setAnnouncement(text);
    // The button that led here may be gone (Cancel): keep the keyboard user's place on the message.
    setTimeout(() => noticeRef.current?.focus(), 0);
  }, []);
  const dismissNotice = useCallback(() => setNotice(null), []);

  return { notice, noticeRef, showNotice, dismissNotice, announcement, announce: setAnnouncement };
}
