import MarkdownIt from 'markdown-it';
import { useContext, useRef, useState } from 'preact/hooks';
import { type ApiError, call, type Result } from '../api.js';
import { Badge, Failure, Show } from '../components.js';
import { useIncidentStream, useNow, usePoll } from '../hooks.js';
import { SessionContext } from '../session.js';
import type { IncidentDetail, IncidentStatus } from '../types.js';
import { age, legalTransitions } from '../view.js';

// html: false escapes any HTML in the Markdown, so a title or note can never become markup on this page.
const markdown = new MarkdownIt({ html: false, linkify: false });

type Loaded = Result<IncidentDetail>;

export function IncidentPage({ service, id }: { service: string; id: string }) {
  const { token } = useContext(SessionContext);
  const now = useNow();
  const [detail, reload] = usePoll(() => call<IncidentDetail>(service, `/v1/incidents/${id}`), 0, [
    service,
    id,
  ]);
  const [postmortem, reloadPostmortem] = usePoll(
    () => call<string>(service, `/v1/incidents/${id}/postmortem`, { text: true }),
    0,
    [service, id],
  );
  const [error, setError] = useState<ApiError | undefined>();
  const [note, setNote] = useState('');
  const refresh = () => {
    reload();
    reloadPostmortem();
  };
  // Another person's change is announced, not swapped in under the operator's cursor: a button pressed on the
  // version they read is refused (If-Match) rather than applied to one they have not seen.
  const [changedTo, setChangedTo] = useState<number | undefined>();
  const known = useRef(0);
  const loaded = !('state' in detail) && detail.ok ? (detail as Extract<Loaded, { ok: true }>) : undefined;
  if (loaded && loaded.data.version > known.current) known.current = loaded.data.version;
  useIncidentStream(service, (event) => {
    if (event.incidentId === id && event.incident.version > known.current)
      setChangedTo(event.incident.version);
  });
  /** Our own change is not someone else's: its version (the ETag) is known before its event arrives. */
  const remember = (result: Result<unknown>) => {
    if (result.ok && result.etag)
      known.current = Math.max(known.current, Number(result.etag.replace(/\D/g, '')));
  };
  const showLatest = () => {
    setChangedTo(undefined);
    refresh();
  };
  const move = async (status: IncidentStatus) => {
    if (!loaded) return;
    const result = await call<IncidentDetail>(service, `/v1/incidents/${id}`, {
      method: 'PATCH',
      body: { status },
      token,
      ...(loaded.etag ? { ifMatch: loaded.etag } : {}),
    });
    remember(result);
    setError(result.ok ? undefined : result.error);
    showLatest();
  };
  const addNote = async (event: Event) => {
    event.preventDefault();
    const result = await call(service, `/v1/incidents/${id}/timeline`, {
      method: 'POST',
      body: { message: note },
      token,
    });
    remember(result);
    setError(result.ok ? undefined : result.error);
    if (result.ok) setNote('');
    showLatest();
  };

  return (
    <>
      <p>
        <a href="#/incidents">← Incidents</a>
      </p>
      <Show value={detail} service={service} what="the incident">
        {(incident) => (
          <>
            <h1>{incident.title}</h1>
            <p>
              <Badge tone={incident.status === 'resolved' ? 'good' : 'bad'}>{incident.status}</Badge>{' '}
              {incident.priority} {incident.severity} ·{' '}
              {incident.services.map((s) => s.name).join(', ') || 'no service named'} · opened{' '}
              {age(incident.createdAt, now)} ago · version {incident.version}
            </p>
            {incident.description && <p>{incident.description}</p>}
            {changedTo !== undefined && (
              <p class="notice" role="status">
                Someone else changed this incident (now version {changedTo}).{' '}
                <button type="button" onClick={showLatest}>
                  Show the latest
                </button>
              </p>
            )}
            <section aria-labelledby="move">
              <h2 id="move">Move to</h2>
              <div class="actions">
                {legalTransitions(incident.status).map((status) => (
                  <button type="button" key={status} data-status={status} onClick={() => move(status)}>
                    {status}
                  </button>
                ))}
              </div>
              {error && <Failure error={error} service={service} />}
            </section>
            <section aria-labelledby="timeline">
              <h2 id="timeline">Timeline</h2>
              <ol class="timeline">
                {incident.timeline.map((event) => (
                  <li key={event.id}>
                    <time dateTime={event.createdAt}>{new Date(event.createdAt).toLocaleString()}</time>{' '}
                    <strong>{event.kind.replace('_', ' ')}</strong> {event.message}
                  </li>
                ))}
              </ol>
              <form onSubmit={addNote} aria-label="Add a note">
                <label>
                  Note{' '}
                  <textarea
                    required
                    maxLength={10_000}
                    value={note}
                    onInput={(e) => setNote(e.currentTarget.value)}
                  />
                </label>
                <button type="submit">Add note</button>
              </form>
            </section>
          </>
        )}
      </Show>
      <section aria-labelledby="postmortem">
        <h2 id="postmortem">Postmortem</h2>
        <Show value={postmortem} service={service} what="the postmortem">
          {(text) => (
            // markdown-it with html: false escapes all markup in the text
            <div class="postmortem" dangerouslySetInnerHTML={{ __html: markdown.render(text) }} />
          )}
        </Show>
      </section>
    </>
  );
}
