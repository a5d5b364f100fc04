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
