import { type ComponentChildren, Fragment } from 'preact';
import { useContext, useEffect, useId, useRef, useState } from 'preact/hooks';
import { ServiceDown } from '../service-down';

export interface RowMenuItem {
  label: string;
  /** Runs after the menu closed and focus went back to its button (so a dialog it opens returns focus there). */
  onSelect: (event: MouseEvent) => void;
  /** A link item (Download): the browser follows it unless onSelect prevents that. */
  href?: string;
  download?: string;
  busy?: boolean;
  /** Destroys data: shown last, apart from the others, in red. */
  danger?: boolean;
}

interface RowMenuProps {
  /** What the row is, read after "Actions" by screen readers: "Actions sentinel-…tar.gz". */
  subject: ComponentChildren;
  items: readonly RowMenuItem[];
}

/**
 * One "Actions" button per row that opens a menu of the row's actions: a row of five buttons does not fit a phone,
 * and a destroying action kept last and apart is not hit by accident. Keyboard: Enter/Space/ArrowDown open it on the
 * first item, the arrows, Home and End move, Escape (or Tab) closes it and focus returns to the button.
 */
export function RowMenu({ subject, items }: RowMenuProps) {
  const [open, setOpen] = useState(false);
  const down = useContext(ServiceDown);
  const button = useRef<HTMLButtonElement>(null);
  const menu = useRef<HTMLUListElement>(null);
  const id = useId();
  const ordered = [...items.filter((i) => !i.danger), ...items.filter((i) => i.danger)];

  const entries = (): HTMLElement[] => [...(menu.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
  const close = (refocus: boolean): void => {
    setOpen(false);
    if (refocus) button.current?.focus();
  };

  useEffect(() => {
    if (!open) return;
    entries()[0]?.focus();
    // A click anywhere else closes the menu, as a native menu does.
    const outside = (event: PointerEvent): void => {
      const node = event.target as Node;
      if (!menu.current?.contains(node) && !button.current?.contains(node)) close(false);
    };
    document.addEventListener('pointerdown', outside);
    return () => document.removeEventListener('pointerdown', outside);
  }, [open]);

  const onMenuKey = (event: KeyboardEvent): void => {
    const all = entries();
    const at = all.indexOf(document.activeElement as HTMLElement);
    const move = (to: number): void => {
      event.preventDefault();
      all[(to + all.length) % all.length]?.focus();
    };
    if (event.key === 'ArrowDown') move(at + 1);
    else if (event.key === 'ArrowUp') move(at - 1);
    else if (event.key === 'Home') move(0);
    else if (event.key === 'End') move(all.length - 1);
    else if (event.key === 'Escape') {
      event.preventDefault();
      close(true);
    } else if (event.key === 'Tab') close(false);
  };

  const choose = (event: MouseEvent, item: RowMenuItem): void => {
    close(true);
    item.onSelect(event);
  };

  return (
    <div class="row-menu">
      <button
        ref={button}
        type="button"
        class="button button-small row-menu-button"
        aria-haspopup="menu"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'ArrowDown' && !open) {
            e.preventDefault();
            setOpen(true);
          }
        }}
      >
        Actions<span class="visually-hidden"> {subject}</span>
      </button>
      <ul id={id} ref={menu} role="menu" aria-label="Actions" class="row-menu-list" hidden={!open} onKeyDown={onMenuKey}>
        {ordered.map((item, index) => (
          <Fragment key={item.label}>
            {item.danger && index > 0 && !ordered[index - 1]?.danger && <li role="separator" class="row-menu-separator" />}
            <li role="none" class={item.danger ? 'row-menu-danger' : undefined}>
              {item.href ? (
                <a role="menuitem" tabIndex={-1} href={item.href} download={item.download} aria-disabled={down || undefined} onClick={(e) => choose(e, item)}>
                  {item.label}
                </a>
              ) : (
                <button type="button" role="menuitem" tabIndex={-1} aria-busy={item.busy} aria-disabled={item.busy} onClick={(e) => choose(e, item)}>
                  {item.label}
                </button>
              )}
            </li>
          </Fragment>
        ))}
      </ul>
    </div>
  );
}
