// Small shared pieces: a labelled field, an alert for errors, a link inside the app.
import type { ComponentChildren, InputHTMLAttributes, JSX } from "preact";
import { useLayoutEffect } from "preact/hooks";
import { href } from "../router";
import { errorText, t } from "../i18n";
import type { Live } from "../realtime";

let seq = 0;
export const uid = (prefix: string): string => `${prefix}-${++seq}`;

interface FieldProps {
  label: string;
  hint?: string;
  id: string;
  value: string;
  onInput: (e: { currentTarget: HTMLInputElement }) => void;
  type?: "text" | "email" | "tel" | "password" | "date" | "time" | "number" | "datetime-local";
  autocomplete?: string;
  required?: boolean;
  inputMode?: "decimal" | "numeric" | "text";
  min?: number;
  max?: number;
  step?: number;
}

export function Field({ label, hint, id, autocomplete, inputMode, ...input }: FieldProps): JSX.Element {
  return (
    <div class="field">
      <label for={id}>{label}</label>
      {hint && (
        <p class="hint" id={`${id}-hint`}>
          {hint}
        </p>
      )}
      <input
        {...({
          id,
          name: id,
          autoComplete: autocomplete,
          inputMode,
          "aria-describedby": hint ? `${id}-hint` : undefined,
          ...input,
        } as InputHTMLAttributes<HTMLInputElement>)}
      />
    </div>
  );
}

export function ErrorAlert({ error }: { error: unknown }): JSX.Element | null {
  if (!error) return null;
  return (
    <div class="alert error" role="alert">
      {errorText(error)}
    </div>
  );
}

export function Notice({ children }: { children: ComponentChildren }): JSX.Element {
  return (
    <div class="alert info" role="status">
      {children}
    </div>
  );
}

export function Link({ to, children, class: cls }: { to: string; children: ComponentChildren; class?: string }): JSX.Element {
  return (
    <a href={href(to)} class={cls}>
      {children}
    </a>
  );
}

/** Whether the page is following the live stream (/realtime) now, in words; a polite
 *  status, so a screen reader hears when a live change has been shown. */
export function LiveState({ live }: { live: Live }): JSX.Element {
  return (
    <p class="hint live-state" role="status" data-live={live.on ? "on" : "off"}>
      {!live.on ? t("live.off") : live.changes ? t("live.changed", { count: live.changes }) : t("live.on")}
    </p>
  );
}

/** Move the keyboard to the field `id` as the form holding it is drawn, once `open` is truthy.
 * A layout effect: an effect runs after the next paint, and a field typed into before then lost
 * its focus, and its keystrokes, to this one (a fast typist, or a browser test on a loaded
 * machine: the deposit's "45" went into the service's name). */
export function useFocusWhenDrawn(id: string, open: unknown = true): void {
  useLayoutEffect(() => {
    if (open) document.getElementById(id)?.focus();
  }, [open]);
}
