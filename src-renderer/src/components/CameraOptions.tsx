import type { AgentView } from '@contract';

/** A camera picker's options: one per camera, its id as the value and its name as the text. */
export function CameraOptions({ agents }: { agents: readonly AgentView[] | undefined }) {
  return (
    <>
      {(agents ?? []).map((a) => (
        <option key={a.id} value={a.id}>
          {a.name}
        </option>
      ))}
    </>
  );
}
