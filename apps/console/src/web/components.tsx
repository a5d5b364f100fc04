import type { ComponentChildren } from 'preact';
import type { ApiError } from './api.js';
import type { Loaded } from './hooks.js';
import { failureMessage, type Tone } from './view.js';

export function Badge({ tone, children }: { tone: Tone; children: ComponentChildren }) {
  return <span class={`badge ${tone}`}>{children}</span>;
}

export function Failure({ error, service }: { error: ApiError; service: string }) {
  return (
    <p class="failure" role="alert">
      {failureMessage(error, service)}
    </p>
  );
}

/** Loading, failed or loaded: the three states every panel shows in words. */
export function Show<T>({
  value,
  service,
  what,
  children,
}: {
  value: Loaded<T>;
  service: string;
  what: string;
  children: (data: T) => ComponentChildren;
}) {
  if ('state' in value) return <p class="muted">Loading {what}…</p>;
  if (!value.ok) return <Failure error={value.error} service={service} />;
  return <>{children(value.data)}</>;
}

/** A token typed by the operator: masked, never autofilled, trimmed, held by the caller's state only. */
export function TokenField(props: {
  label: string;
  placeholder: string;
  value: string;
  onChange(value: string): void;
}) {
  return (
    <label class="token">
      {props.label}{' '}
      <input
        type="password"
        autocomplete="off"
        placeholder={props.placeholder}
        value={props.value}
        onInput={(e) => props.onChange(e.currentTarget.value.trim())}
      />
    </label>
  );
}

/** A number input kept as its text (the form converts on submit). */
export function NumberField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  min: number;
  max?: number;
  step?: number;
}) {
  return (
    <label>
      {props.label}{' '}
      <input
        type="number"
        min={props.min}
        max={props.max}
        step={props.step}
        value={props.value}
        onInput={(e) => props.onChange(e.currentTarget.value)}
      />
    </label>
  );
}
